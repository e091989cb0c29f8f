//! Pages sent from an incident, as a fold of its `paged` events: who was paged for which
//! service, through what, whether it went through, and whether they have checked in since.
//! A person paged and not yet checked in stays on the work board as awaited.

use super::incident::{check_line, check_text};
use super::{Entry, Event, Rejected};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One page, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Who paged.
    pub by: String,
    pub person: String,
    pub handle: String,
    pub service: String,
    pub via: String,
    pub ok: bool,
    pub detail: String,
    /// The check-in that answered it, if any.
    pub answered: Option<u64>,
}

impl Page {
    /// Whether the warroom user `who` is the person paged: their handle, its part before the
    /// `@`, or their name, ignoring case.
    pub fn is(&self, who: &str) -> bool {
        let who = who.trim();
        let local = self.handle.split('@').next().unwrap_or("");
        !who.is_empty()
            && [self.handle.as_str(), local, self.person.as_str()]
                .iter()
                .any(|k| !k.is_empty() && k.eq_ignore_ascii_case(who))
    }

    /// `paged 09:12 via PagerDuty for payments`.
    pub fn waiting_line(&self) -> String {
        format!(
            "paged {} via {} for {} — not checked in",
            self.at.format("%H:%MZ"),
            self.via,
            self.service
        )
    }
}

/// `Lee Turner <lee@example.com>`; the name alone when the handle is empty or the same (an
/// OpsGenie username names a person by their email).
pub fn with_handle(name: &str, handle: &str) -> String {
    if handle.is_empty() || handle == name {
        name.to_string()
    } else {
        format!("{name} <{handle}>")
    }
}

/// Every page of the incident, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Paging {
    pub pages: Vec<Page>,
}

impl Paging {
    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::Paged {
                person,
                handle,
                service,
                via,
                ok,
                detail,
                ..
            } => self.pages.push(Page {
                seq: entry.seq,
                at: entry.at,
                by: entry.by.clone(),
                person: person.clone(),
                handle: handle.clone(),
                service: service.clone(),
                via: via.clone(),
                ok: *ok,
                detail: detail.clone(),
                answered: None,
            }),
            Event::CheckIn { .. } => {
                for p in self.pages.iter_mut().filter(|p| p.answered.is_none()) {
                    if p.is(&entry.by) {
                        p.answered = Some(entry.seq);
                    }
                }
            }
            _ => {}
        }
    }

    /// People paged successfully who have not checked in since, one page each (the latest).
    pub fn awaited(&self) -> Vec<&Page> {
        let mut out: Vec<&Page> = Vec::new();
        for p in self.pages.iter().rev() {
            if p.ok
                && p.answered.is_none()
                && !out
                    .iter()
                    .any(|o| o.person == p.person && o.handle == p.handle)
            {
                out.push(p);
            }
        }
        out.reverse();
        out
    }
}

/// Whether a `paged` event makes sense.
pub(super) fn check(event: &Event) -> Result<(), Rejected> {
    if let Event::Paged {
        person,
        handle,
        service,
        via,
        message,
        detail,
        ..
    } = event
    {
        check_line("person", person)?;
        check_line("service", service)?;
        check_line("via", via)?;
        if !handle.is_empty() {
            check_line("handle", handle)?;
        }
        if !message.is_empty() {
            check_text("message", message)?;
        }
        if !detail.is_empty() {
            check_text("detail", detail)?;
        }
    }
    Ok(())
}

/// One line for the outage log.
pub(super) fn describe(event: &Event) -> String {
    let Event::Paged {
        person,
        handle,
        service,
        via,
        message,
        ok,
        detail,
    } = event
    else {
        return String::new();
    };
    let who = with_handle(person, handle);
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": \"{message}\"")
    };
    if *ok {
        format!("paged {who} for {service} via {via}{said} ({detail})")
    } else {
        format!("could NOT page {who} for {service} via {via}{said} ({detail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(seq: u64, by: &str, event: Event) -> Entry {
        Entry {
            seq,
            at: Utc
                .with_ymd_and_hms(2026, 11, 21, 9, seq as u32, 0)
                .unwrap(),
            by: by.into(),
            event,
        }
    }

    fn paged(person: &str, handle: &str, ok: bool) -> Event {
        Event::Paged {
            person: person.into(),
            handle: handle.into(),
            service: "payments".into(),
            via: "PagerDuty".into(),
            message: "join the bridge".into(),
            ok,
            detail: "responder request sent".into(),
        }
    }

    fn check_in() -> Event {
        Event::CheckIn {
            conditions: "here".into(),
            actions: None,
            needs: None,
        }
    }

    #[test]
    fn a_paged_person_is_awaited_until_they_check_in_under_their_handle() {
        let mut p = Paging::default();
        p.apply(&entry(
            2,
            "alice",
            paged("Lee Turner", "lee@example.com", true),
        ));
        p.apply(&entry(
            3,
            "alice",
            paged("Kim Park", "kim@example.com", false),
        ));
        p.apply(&entry(4, "bob", check_in()));
        let awaited: Vec<&str> = p.awaited().iter().map(|a| a.person.as_str()).collect();
        assert_eq!(awaited, ["Lee Turner"], "a failed page awaits nobody");
        p.apply(&entry(5, "LEE", check_in()));
        assert!(p.awaited().is_empty());
        assert_eq!(p.pages[0].answered, Some(5));
        // Paged again later: awaited again.
        p.apply(&entry(
            6,
            "alice",
            paged("Lee Turner", "lee@example.com", true),
        ));
        assert_eq!(p.awaited().len(), 1);
    }

    #[test]
    fn the_log_line_says_who_for_what_and_how_it_went() {
        let e = paged("Lee Turner", "lee@example.com", true);
        assert_eq!(
            describe(&e),
            "paged Lee Turner <lee@example.com> for payments via PagerDuty: \"join the bridge\" (responder request sent)"
        );
        assert!(describe(&paged("Lee", "", false)).starts_with("could NOT page Lee for payments"));
        assert_eq!(Event::from_json(&e.to_json()), Ok(e.clone()));
        assert_eq!(e.type_name(), "paged");
    }
}
