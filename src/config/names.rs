//! What several source sections check alike: a source name no other source has
//! ([`Names`]), an environment variable's name where a secret is expected
//! ([`env_name`]), and a vendor's region (or site) picking its API host ([`Regions`]).

/// The alert-source names taken so far, to which each entry adds its own.
pub(super) struct Names(Vec<String>);

impl Names {
    /// Starts from the names the other sections already took.
    pub(super) fn taken(names: &[String]) -> Names {
        Names(names.to_vec())
    }

    /// Takes `name` for the entry `which` (`newrelic #2`), or says why it cannot: it is
    /// empty, or another source has it.
    pub(super) fn take(&mut self, which: &str, name: String) -> Result<(), String> {
        if name.is_empty() {
            return Err(format!("{which}: empty name"));
        }
        if self.0.contains(&name) {
            return Err(format!(
                "{which}: a source named {name:?} is already configured; give each a distinct name"
            ));
        }
        self.0.push(name);
        Ok(())
    }
}

/// `value` must name an environment variable, never hold the secret itself. `field` is how
/// the message names the key (`icinga #1 password_env`), `like` an example variable and
/// `secret` what the variable holds (`key`, `password`).
pub(super) fn env_name(field: &str, value: &str, like: &str, secret: &str) -> Result<(), String> {
    if super::backends::env_name_ok(value) {
        Ok(())
    } else {
        Err(format!(
            "{field}: name an environment variable (like {like}), never the {secret} itself"
        ))
    }
}

/// A vendor's regions (or sites) as written in config, each with its API host; the first is
/// the default.
pub struct Regions {
    /// What one is called in a message: `a Datadog site`.
    pub what: &'static str,
    pub hosts: &'static [(&'static str, &'static str)],
}

impl Regions {
    /// The host of `region` (any case, white space around ignored; the default when none
    /// is given), or why not.
    pub fn host(&self, region: Option<&str>) -> Result<&'static str, String> {
        let Some(region) = region else {
            return Ok(self.hosts[0].1);
        };
        self.hosts
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(region.trim()))
            .map(|(_, host)| *host)
            .ok_or_else(|| {
                let names: Vec<&str> = self.hosts.iter().map(|(n, _)| *n).collect();
                format!(
                    "{region:?} is not {}; one of {}",
                    self.what,
                    names.join(", ")
                )
            })
    }

    /// The default region's host.
    pub fn default_host(&self) -> &'static str {
        self.hosts[0].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: Regions = Regions {
        what: "a region",
        hosts: &[("us", "https://us.example"), ("eu", "https://eu.example")],
    };

    #[test]
    fn a_region_picks_its_host_in_any_case_and_the_first_is_the_default() {
        assert_eq!(TWO.host(None), Ok("https://us.example"));
        assert_eq!(TWO.host(Some(" EU ")), Ok("https://eu.example"));
        assert_eq!(
            TWO.host(Some("ap")),
            Err("\"ap\" is not a region; one of us, eu".into())
        );
    }

    #[test]
    fn a_name_is_taken_once_and_never_empty() {
        let mut names = Names::taken(&["prometheus".into()]);
        assert!(names.take("x #1", "a".into()).is_ok());
        let again = names.take("x #2", "a".into()).unwrap_err();
        assert!(again.contains("x #2: a source named \"a\" is already configured"));
        assert!(names.take("x #3", "prometheus".into()).is_err());
        assert_eq!(
            names.take("x #4", String::new()),
            Err("x #4: empty name".into())
        );
    }
}
