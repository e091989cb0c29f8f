//! File descriptors: the process's limit, how many are open, and a small reserve.
//!
//! Every warroom process raises its soft `RLIMIT_NOFILE` to the hard limit at start (a
//! common default soft limit is 1,024). The share server counts its connections against the
//! limit and keeps room for everything else ([`crate::share::server`]); the console's
//! journal worker keeps a few descriptors in [`Reserve`] so that recording an entry or
//! saving a draft does not fail for want of one.

use std::fs::File;

/// Raises the soft limit on open files to the hard limit; the new soft limit (None when the
/// limit cannot be read).
pub fn raise_soft_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // Refused (a hard limit above what the kernel allows): the soft one stays.
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &raised);
        }
    }
    soft_limit()
}

/// The soft limit on open files (None when it cannot be read or is unlimited).
pub fn soft_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0
        || lim.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    Some(lim.rlim_cur)
}

/// How many descriptors this process has open (None where that cannot be counted).
pub fn open_count() -> Option<usize> {
    ["/proc/self/fd", "/dev/fd"].iter().find_map(|dir| {
        // The directory's own handle is counted too, but it is closed again at once.
        let n = std::fs::read_dir(dir).ok()?.count();
        Some(n.saturating_sub(1))
    })
}

/// True when an I/O error means the process (or the system) has no descriptor to spare.
pub fn exhausted(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// A few descriptors held in reserve: when an operation fails for want of a descriptor, one
/// is given back and the operation tried again, then the reserve is filled again.
#[derive(Debug, Default)]
pub struct Reserve {
    held: Vec<File>,
    want: usize,
}

impl Reserve {
    pub fn new(want: usize) -> Reserve {
        let mut r = Reserve {
            held: Vec::new(),
            want,
        };
        r.refill();
        r
    }

    /// How many descriptors are held right now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    fn refill(&mut self) {
        while self.held.len() < self.want {
            match File::open("/dev/null") {
                Ok(f) => self.held.push(f),
                Err(_) => break,
            }
        }
    }

    /// Runs `op`; if it fails for want of a descriptor, frees one of the reserve and runs it
    /// once more. The reserve is filled again afterwards, as far as it can be.
    pub fn run<T>(&mut self, mut op: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
        let mut result = op();
        while let Err(e) = &result {
            if !exhausted(e) || self.held.pop().is_none() {
                break;
            }
            result = op();
        }
        self.refill();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_gives_back_a_descriptor_when_an_operation_runs_out() {
        let mut reserve = Reserve::new(2);
        assert_eq!(reserve.held(), 2);
        let mut tries = 0;
        let got = reserve.run(|| {
            tries += 1;
            if tries == 1 {
                Err(std::io::Error::from_raw_os_error(libc::EMFILE))
            } else {
                Ok(tries)
            }
        });
        assert_eq!(got.ok(), Some(2));
        assert_eq!(reserve.held(), 2, "filled again");
        // Other errors are not retried.
        let mut tries = 0;
        let got: std::io::Result<()> = reserve.run(|| {
            tries += 1;
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        });
        assert!(got.is_err());
        assert_eq!(tries, 1);
    }

    #[test]
    fn open_descriptors_are_counted() {
        let before = open_count().unwrap();
        let files: Vec<File> = (0..64).map(|_| File::open("/dev/null").unwrap()).collect();
        // Other tests open and close files meanwhile; 64 more stands out all the same.
        assert!(open_count().unwrap() >= before + 32);
        drop(files);
        assert!(soft_limit().is_some());
    }
}
