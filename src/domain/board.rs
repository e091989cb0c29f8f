//! The work board: one line per person (roles, open tasks with their countdowns, last
//! check-in, time on the incident) or per sub-team; the roll call's answers and stale reports;
//! the span of control; and the practice notices (span of control, the call leader running
//! actions, relief after a long time on the incident), each shown until dismissed once.
//!
//! A **workstream** is what the call leader tracks directly: each person on the roll who
//! reports to the commander (everyone but the commander and the members of a sub-team; a
//! sub-team's lead counts, for the whole team) plus each open task held by someone who
//! reports to the commander (a sub-team member's tasks are the team lead's to track). More
//! than [`SPAN_OF_CONTROL`] is too many: warroom says so once.

use super::roll::CheckIn;
use super::{Entry, Event, Incident, Role, Task};
use chrono::{DateTime, Duration, Utc};

/// The Incident Command System keeps span of control between three and seven.
pub const SPAN_OF_CONTROL: usize = 7;

/// The practice's two clocks, from `config.toml` `[roll_call]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PracticeRules {
    /// A check-in older than this is stale (default 10 minutes).
    pub stale_after: Duration,
    /// After this long on the incident, relief is suggested (default 3 hours).
    pub relief_after: Duration,
}

impl Default for PracticeRules {
    fn default() -> PracticeRules {
        PracticeRules {
            stale_after: Duration::minutes(10),
            relief_after: Duration::hours(3),
        }
    }
}

/// How fresh someone's last report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Never checked in.
    None,
    Fresh(Duration),
    Stale(Duration),
}

/// One person on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLine {
    pub person: String,
    pub roles: Vec<Role>,
    /// Open tasks, with the time left (negative: overdue).
    pub tasks: Vec<(u32, String, Duration)>,
    pub check_in: Option<CheckIn>,
    pub report: Report,
    /// Whether they checked in since the last roll call; `None`: no roll called.
    pub answered: Option<bool>,
    /// Time on the incident (up to its resolution).
    pub on_for: Duration,
    /// On for longer than the relief time.
    pub relief: bool,
    /// The sub-team they report to, if any.
    pub team: Option<String>,
    pub added: bool,
}

/// One sub-team on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamLine {
    pub name: String,
    pub lead: String,
    pub goal: String,
    pub members: Vec<String>,
    /// Time left in its time-box (negative: over).
    pub left: Duration,
    /// Open tasks held by its members.
    pub open_tasks: usize,
}

/// Something the practice says to the call leader, shown until dismissed (once each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    SpanOfControl {
        workstreams: usize,
    },
    /// The call leader started a runbook action themselves.
    Resolver {
        person: String,
    },
    /// On the incident for longer than the relief time; `commander`: suggest a handoff.
    Relief {
        person: String,
        commander: bool,
        on_for: Duration,
    },
}

impl Notice {
    /// The key a dismissal records (`notice_dismissed`).
    pub fn key(&self) -> String {
        match self {
            Notice::SpanOfControl { .. } => "span_of_control".to_string(),
            Notice::Resolver { person } => format!("resolver:{person}"),
            Notice::Relief { person, .. } => format!("relief:{person}"),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Notice::SpanOfControl { workstreams } => format!(
                "you track {workstreams} workstreams directly (more than {SPAN_OF_CONTROL}): \
                 name a deputy, or split the work into sub-teams (Alpha, Bravo, …) each with a \
                 lead, a goal and a time-box"
            ),
            Notice::Resolver { person } => format!(
                "{person} leads the call and runs actions too: the call leader is not a \
                 resolver — hand the action to someone and keep the call"
            ),
            Notice::Relief {
                person,
                commander: true,
                on_for,
            } => format!(
                "{person} has led for {}: time for relief — hand off command to someone rested",
                super::short_duration(*on_for)
            ),
            Notice::Relief { person, on_for, .. } => format!(
                "{person} has been on the incident for {}: time to relieve them",
                super::short_duration(*on_for)
            ),
        }
    }
}

/// Everything the roll-call view and the work board show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// Everyone on the roll, in the order they joined.
    pub people: Vec<PersonLine>,
    pub teams: Vec<TeamLine>,
    pub workstreams: usize,
    /// The last roll call: when, and by whom.
    pub called: Option<(DateTime<Utc>, String)>,
}

impl Board {
    /// The work board's person lines: everyone not reporting to a sub-team.
    pub fn direct(&self) -> impl Iterator<Item = &PersonLine> {
        self.people.iter().filter(|p| p.team.is_none())
    }

    pub fn waiting(&self) -> impl Iterator<Item = &PersonLine> {
        self.people.iter().filter(|p| p.answered == Some(false))
    }
}

/// Who and what the commander tracks directly (see the module docs).
pub fn workstreams(i: &Incident) -> usize {
    let commander = i.holder(Role::Commander);
    let people = i
        .roll
        .members
        .iter()
        .filter(|m| Some(m.person.as_str()) != commander && i.roll.team_of(&m.person).is_none())
        .count();
    let tasks = i
        .open_tasks()
        .filter(|t| i.roll.team_of(&t.person).is_none())
        .count();
    people + tasks
}

/// The practice's bookkeeping after an entry: the span crossing and the leader running
/// actions, both remembered from their first time.
pub(super) fn after(i: &mut Incident, entry: &Entry, roll_changed: bool) {
    if i.is_resolved() {
        return;
    }
    let may_change = roll_changed
        || matches!(
            entry.event,
            Event::RoleAssigned { .. }
                | Event::Handoff { .. }
                | Event::TaskAssigned { .. }
                | Event::TaskDone { .. }
                | Event::TaskCancelled { .. }
        );
    if may_change && i.roll.span_crossed.is_none() {
        let n = workstreams(i);
        if n > SPAN_OF_CONTROL {
            i.roll.span_crossed = Some((entry.at, n));
        }
    }
    if let Event::ActionStarted { dry_run: false, .. } = entry.event
        && i.holder(Role::Commander) == Some(entry.by.as_str())
        && !i.roll.resolvers.iter().any(|(p, _)| *p == entry.by)
    {
        i.roll.resolvers.push((entry.by.clone(), entry.at));
    }
}

fn left(t: &Task, now: DateTime<Utc>) -> Duration {
    t.due_at - now
}

/// The board at `now`.
pub fn board(i: &Incident, rules: &PracticeRules, now: DateTime<Utc>) -> Board {
    let end = i.resolved_at.map_or(now, |r| r.min(now));
    let people = i
        .roll
        .members
        .iter()
        .map(|m| {
            let report = match &m.check_in {
                None => Report::None,
                Some(c) if now - c.at > rules.stale_after => Report::Stale(now - c.at),
                Some(c) => Report::Fresh(now - c.at),
            };
            let on_for = (end - m.since).max(Duration::zero());
            PersonLine {
                person: m.person.clone(),
                roles: i
                    .roles
                    .iter()
                    .filter(|h| h.person == m.person)
                    .map(|h| h.role)
                    .collect(),
                tasks: i
                    .open_tasks()
                    .filter(|t| t.person == m.person)
                    .map(|t| (t.id, t.what.clone(), left(t, now)))
                    .collect(),
                check_in: m.check_in.clone(),
                report,
                answered: i.roll.answered(&m.person),
                on_for,
                relief: on_for > rules.relief_after,
                team: i.roll.team_of(&m.person).map(|t| t.name.clone()),
                added: m.added,
            }
        })
        .collect();
    let teams = i
        .roll
        .teams
        .iter()
        .map(|t| TeamLine {
            name: t.name.clone(),
            lead: t.lead.clone(),
            goal: t.goal.clone(),
            members: t
                .members
                .iter()
                .filter(|m| **m != t.lead)
                .cloned()
                .collect(),
            left: t.until - now,
            open_tasks: i.open_tasks().filter(|x| t.reports_here(&x.person)).count(),
        })
        .collect();
    Board {
        people,
        teams,
        workstreams: workstreams(i),
        called: i.roll.called.as_ref().map(|c| (c.at, c.by.clone())),
    }
}

/// The notices to show the call leader now, not dismissed, in a fixed order: span of control,
/// the resolver reminder, then relief (commander first). None once the incident is resolved.
pub fn notices(i: &Incident, rules: &PracticeRules, now: DateTime<Utc>) -> Vec<Notice> {
    if i.is_resolved() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some((_, n)) = i.roll.span_crossed {
        out.push(Notice::SpanOfControl { workstreams: n });
    }
    for (person, _) in &i.roll.resolvers {
        out.push(Notice::Resolver {
            person: person.clone(),
        });
    }
    let commander = i.holder(Role::Commander);
    let mut relief: Vec<Notice> = i
        .roll
        .members
        .iter()
        .filter(|m| now - m.since > rules.relief_after)
        .map(|m| Notice::Relief {
            person: m.person.clone(),
            commander: Some(m.person.as_str()) == commander,
            on_for: now - m.since,
        })
        .collect();
    relief.sort_by_key(|n| {
        !matches!(
            n,
            Notice::Relief {
                commander: true,
                ..
            }
        )
    });
    out.extend(relief);
    out.retain(|n| !i.roll.dismissed.contains(&n.key()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Severity, Status};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    struct Log(Vec<Entry>);

    impl Log {
        fn new() -> Log {
            let mut l = Log(Vec::new());
            l.add(
                0,
                "alice",
                Event::Opened {
                    title: "Checkout 500s".into(),
                    severity: Severity::Sev1,
                    summary: None,
                },
            );
            l.add(
                0,
                "alice",
                Event::RoleAssigned {
                    role: Role::Commander,
                    person: "alice".into(),
                },
            );
            l
        }
        fn add(&mut self, min: i64, by: &str, event: Event) -> &mut Log {
            let i = self.incident_opt();
            if let Some(i) = i {
                i.check(&event).unwrap_or_else(|r| panic!("{event:?}: {r}"));
            }
            self.0.push(Entry {
                seq: self.0.len() as u64 + 1,
                at: at(min),
                by: by.into(),
                event,
            });
            self
        }
        fn incident_opt(&self) -> Option<Incident> {
            Incident::fold("INC-1", &self.0)
        }
        fn incident(&self) -> Incident {
            self.incident_opt().unwrap()
        }
        fn check_in(&mut self, min: i64, by: &str, text: &str) -> &mut Log {
            self.add(
                min,
                by,
                Event::CheckIn {
                    conditions: text.into(),
                    actions: None,
                    needs: None,
                },
            )
        }
        fn task(&mut self, min: i64, person: &str) -> &mut Log {
            let id = self.incident().next_task_id();
            self.add(
                min,
                "alice",
                Event::TaskAssigned {
                    task: id,
                    person: person.into(),
                    what: format!("look at thing {id}"),
                    due_at: at(min + 5),
                },
            )
        }
    }

    fn line<'a>(b: &'a Board, who: &str) -> &'a PersonLine {
        b.people.iter().find(|p| p.person == who).unwrap()
    }

    #[test]
    fn the_roll_is_role_holders_writers_and_people_added() {
        let mut log = Log::new();
        log.add(
            1,
            "alice",
            Event::RoleAssigned {
                role: Role::Scribe,
                person: "sam".into(),
            },
        )
        .check_in(2, "bob", "5xx on /checkout")
        .add(
            3,
            "alice",
            Event::RollAdded {
                person: "dana".into(),
            },
        );
        let b = board(&log.incident(), &PracticeRules::default(), at(4));
        let names: Vec<&str> = b.people.iter().map(|p| p.person.as_str()).collect();
        assert_eq!(names, ["alice", "sam", "bob", "dana"]);
        assert_eq!(line(&b, "sam").roles, [Role::Scribe]);
        assert!(line(&b, "dana").added);
        assert_eq!(line(&b, "bob").report, Report::Fresh(Duration::minutes(2)));
        assert_eq!(line(&b, "dana").report, Report::None);
        // Adding someone already there is refused: nothing is written twice.
        assert!(
            log.incident()
                .check(&Event::RollAdded {
                    person: "bob".into()
                })
                .is_err()
        );
    }

    #[test]
    fn a_roll_call_shows_who_answered_since_and_whose_report_is_stale() {
        let mut log = Log::new();
        log.check_in(1, "bob", "replication lag 40s")
            .check_in(2, "carol", "pricing deploy at 08:57")
            .add(
                3,
                "dana",
                Event::Note {
                    kind: crate::domain::NoteKind::Observation,
                    text: "tax lookups time out".into(),
                },
            );
        let rules = PracticeRules::default();
        // Before any roll call nobody is "waiting".
        let b = board(&log.incident(), &rules, at(5));
        assert!(b.people.iter().all(|p| p.answered.is_none()));
        log.add(20, "alice", Event::RollCalled {});
        log.check_in(21, "bob", "lag back to 2s");
        let b = board(&log.incident(), &rules, at(22));
        assert_eq!(line(&b, "bob").answered, Some(true));
        assert_eq!(line(&b, "carol").answered, Some(false));
        assert_eq!(line(&b, "dana").answered, Some(false));
        let waiting: Vec<&str> = b.waiting().map(|p| p.person.as_str()).collect();
        assert_eq!(waiting, ["alice", "carol", "dana"]);
        // carol's report is 20 minutes old: stale past ten; bob's is fresh.
        assert_eq!(
            line(&b, "carol").report,
            Report::Stale(Duration::minutes(20))
        );
        assert_eq!(line(&b, "bob").report, Report::Fresh(Duration::minutes(1)));
        // Stale after is a rule, not a constant.
        let patient = PracticeRules {
            stale_after: Duration::minutes(30),
            ..rules
        };
        let b = board(&log.incident(), &patient, at(22));
        assert_eq!(
            line(&b, "carol").report,
            Report::Fresh(Duration::minutes(20))
        );
        // A check-in before the call does not answer a later call.
        log.add(23, "alice", Event::RollCalled {});
        let b = board(&log.incident(), &rules, at(24));
        assert_eq!(line(&b, "bob").answered, Some(false));
    }

    #[test]
    fn span_of_control_crossing_seven_is_noticed_once_and_stays_dismissed() {
        let mut log = Log::new();
        let rules = PracticeRules::default();
        // Four people reporting and three tasks: seven, not yet too many.
        for (n, who) in ["bob", "carol", "dana", "erin"].iter().enumerate() {
            log.check_in(n as i64 + 1, who, "here");
        }
        log.task(6, "bob").task(6, "carol").task(6, "dana");
        assert_eq!(workstreams(&log.incident()), 7);
        assert!(notices(&log.incident(), &rules, at(7)).is_empty());
        // The eighth crosses the line: said once, with the count.
        log.task(8, "erin");
        let i = log.incident();
        assert_eq!(i.roll.span_crossed, Some((at(8), 8)));
        assert_eq!(
            notices(&i, &rules, at(9)),
            [Notice::SpanOfControl { workstreams: 8 }]
        );
        // More workstreams do not make a second notice.
        log.task(9, "erin").check_in(9, "frank", "here");
        assert_eq!(notices(&log.incident(), &rules, at(10)).len(), 1);
        log.add(
            10,
            "alice",
            Event::NoticeDismissed {
                notice: "span_of_control".into(),
            },
        );
        assert!(notices(&log.incident(), &rules, at(11)).is_empty());
        // Dropping below and crossing again: still not said again.
        for t in 1..=5 {
            log.add(12, "alice", Event::TaskDone { task: t });
        }
        log.task(13, "bob").task(13, "bob").task(13, "bob");
        assert!(notices(&log.incident(), &rules, at(14)).is_empty());
        // A second dismissal of the same notice is refused.
        assert!(
            log.incident()
                .check(&Event::NoticeDismissed {
                    notice: "span_of_control".into()
                })
                .is_err()
        );
    }

    #[test]
    fn a_sub_team_counts_as_one_workstream_and_is_one_line() {
        let mut log = Log::new();
        for who in ["bob", "carol", "dana", "erin", "frank"] {
            log.check_in(1, who, "here");
        }
        log.task(2, "carol").task(2, "dana");
        assert_eq!(workstreams(&log.incident()), 7);
        log.add(
            3,
            "alice",
            Event::TeamFormed {
                team: "Alpha".into(),
                lead: "bob".into(),
                goal: "fail over the primary".into(),
                members: vec!["carol".into(), "dana".into()],
                until: at(33),
            },
        );
        let i = log.incident();
        // bob (for Alpha), erin, frank: carol's and dana's tasks are bob's to track.
        assert_eq!(workstreams(&i), 3);
        assert_eq!(i.roll.next_team_name(), "Bravo");
        let b = board(&i, &PracticeRules::default(), at(13));
        assert_eq!(b.teams.len(), 1);
        assert_eq!(b.teams[0].left, Duration::minutes(20));
        assert_eq!(b.teams[0].open_tasks, 2);
        let direct: Vec<&str> = b.direct().map(|p| p.person.as_str()).collect();
        assert_eq!(direct, ["alice", "bob", "erin", "frank"]);
        // carol cannot be in two teams at once.
        assert!(
            i.check(&Event::TeamFormed {
                team: "Bravo".into(),
                lead: "erin".into(),
                goal: "watch the replicas".into(),
                members: vec!["carol".into()],
                until: at(40),
            })
            .is_err()
        );
        log.add(
            14,
            "alice",
            Event::TeamDisbanded {
                team: "Alpha".into(),
            },
        );
        assert_eq!(workstreams(&log.incident()), 7);
    }

    #[test]
    fn the_leader_running_actions_is_reminded_once() {
        let mut log = Log::new();
        let rules = PracticeRules::default();
        let started = |run: &str, dry_run: bool| Event::ActionStarted {
            run_id: run.into(),
            action: "rollback".into(),
            params: Default::default(),
            dry_run,
            command: "deploy rollback pricing".into(),
        };
        // A dry run and someone else's run are not the leader resolving.
        log.add(1, "alice", started("r1", true));
        log.add(2, "bob", started("r2", false));
        assert!(notices(&log.incident(), &rules, at(3)).is_empty());
        log.add(4, "alice", started("r3", false));
        log.add(5, "alice", started("r4", false));
        assert_eq!(
            notices(&log.incident(), &rules, at(6)),
            [Notice::Resolver {
                person: "alice".into()
            }]
        );
        log.add(
            6,
            "alice",
            Event::NoticeDismissed {
                notice: "resolver:alice".into(),
            },
        );
        log.add(7, "alice", started("r5", false));
        assert!(notices(&log.incident(), &rules, at(8)).is_empty());
    }

    #[test]
    fn fatigue_suggests_relief_after_the_configured_time_and_a_handoff_for_the_commander() {
        let mut log = Log::new();
        log.check_in(60, "bob", "here");
        let rules = PracticeRules::default();
        let i = log.incident();
        assert!(notices(&i, &rules, at(180)).is_empty());
        let b = board(&i, &rules, at(181));
        assert!(line(&b, "alice").relief);
        assert!(!line(&b, "bob").relief);
        assert_eq!(line(&b, "alice").on_for, Duration::minutes(181));
        let n = notices(&i, &rules, at(181));
        assert_eq!(
            n,
            [Notice::Relief {
                person: "alice".into(),
                commander: true,
                on_for: Duration::minutes(181)
            }]
        );
        assert!(n[0].text().contains("hand off command"), "{}", n[0].text());
        // A shorter relief time, from config.
        let short = PracticeRules {
            relief_after: Duration::minutes(30),
            ..rules
        };
        let n = notices(&i, &short, at(100));
        assert_eq!(n.len(), 2);
        assert!(n[1].text().contains("time to relieve them"));
        // Nothing is suggested once the incident is resolved, and time on it stops there.
        log.add(200, "alice", Event::Resolved { summary: None });
        let i = log.incident();
        assert_eq!(i.status, Status::Resolved);
        assert!(notices(&i, &rules, at(300)).is_empty());
        assert_eq!(
            line(&board(&i, &rules, at(300)), "alice").on_for,
            Duration::minutes(200)
        );
    }

    #[test]
    fn a_check_in_needs_its_conditions_and_names_an_empty_field() {
        let i = Log::new().incident();
        let bad = |c: &str, a: Option<&str>, n: Option<&str>| {
            i.check(&Event::CheckIn {
                conditions: c.into(),
                actions: a.map(Into::into),
                needs: n.map(Into::into),
            })
            .unwrap_err()
            .0
        };
        assert_eq!(bad(" ", None, None), "conditions is empty");
        assert_eq!(bad("lag", Some(""), None), "actions is empty");
        assert_eq!(bad("lag", None, Some("\n")), "needs is empty");
    }
}
