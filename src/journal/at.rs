//! A directory held open, its files opened and looked at relative to it ([`Dir`]): a name
//! under it is walked from the directory itself, not from the root through every component
//! of the data directory's path again. Listing a thousand incidents opens two files and looks
//! at one in each of their directories; most of the kernel's time went to walking the same
//! long path to them.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A directory held open (see the module's description).
#[derive(Debug)]
pub(super) struct Dir(OwnedFd);

impl Dir {
    /// The directory at `path`, held open.
    pub(super) fn open(path: &Path) -> io::Result<Dir> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(path)?;
        Ok(Dir(file.into()))
    }

    /// The file `name` (a relative path) under this directory, opened to read, as
    /// `File::open` of the directory's path joined with it would open it (symbolic links
    /// followed).
    pub(super) fn open_file(&self, name: &Path) -> io::Result<File> {
        let name = c_name(name)?;
        // SAFETY: the directory's descriptor is open while `self` lives; `name` is
        // NUL-terminated; openat returns a new descriptor or -1.
        let fd = unsafe {
            libc::openat(
                self.0.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just returned by the kernel and is owned by nobody else.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Whether `name` (a relative path) under this directory is a regular file, symbolic
    /// links followed, as `Path::is_file` of the directory's path joined with it says.
    pub(super) fn is_file(&self, name: &Path) -> bool {
        let Ok(name) = c_name(name) else {
            return false;
        };
        // SAFETY: an all-zero `stat` is a valid value of the plain C struct, overwritten by
        // fstatat on success.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: the descriptor is open while `self` lives; `name` is NUL-terminated; `st`
        // is a valid, writable `stat`.
        let ok = unsafe { libc::fstatat(self.0.as_raw_fd(), name.as_ptr(), &mut st, 0) } == 0;
        ok && st.st_mode & libc::S_IFMT == libc::S_IFREG
    }
}

fn c_name(name: &Path) -> io::Result<CString> {
    CString::new(name.as_os_str().as_bytes()).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::Dir;
    use std::io::Read;
    use std::path::Path;

    #[test]
    fn files_under_a_directory_held_open_are_what_their_paths_name() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("INC-1/journal.jsonl")).unwrap();
        std::fs::create_dir_all(root.join("INC-2")).unwrap();
        std::fs::write(root.join("INC-2/journal.jsonl"), b"line\n").unwrap();
        std::os::unix::fs::symlink(root.join("INC-2"), root.join("INC-3")).unwrap();
        std::fs::write(root.join("INC-4"), b"a file").unwrap();
        let dir = Dir::open(root).unwrap();
        for name in [
            "INC-1/journal.jsonl",
            "INC-2/journal.jsonl",
            "INC-3/journal.jsonl",
            "INC-4/journal.jsonl",
            "INC-5/journal.jsonl",
        ] {
            let rel = Path::new(name);
            assert_eq!(dir.is_file(rel), root.join(rel).is_file(), "{name}");
        }
        let mut text = String::new();
        dir.open_file(Path::new("INC-3/journal.jsonl"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "line\n");
        let missing = dir.open_file(Path::new("INC-5/journal.jsonl")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        assert!(Dir::open(&root.join("INC-4")).is_err());
    }
}
