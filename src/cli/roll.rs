//! `warroom checkin`, `warroom roll`, `warroom team`: check-ins in the CAN form, the roll
//! call and the work board, sub-teams. Anyone who can write may check in, from any machine
//! sharing the store; each event is checked against the incident under the append lock, so a
//! refused one writes nothing.

use super::record::{append, text_arg};
use super::{Context, Failure};
use crate::domain::{Board, Event, Incident, PersonLine, Report, parse_duration, short_duration};
use chrono::{DateTime, Utc};

/// The CAN parts as given: Conditions (required), Actions, Needs.
pub struct CanArgs<'a> {
    pub conditions: &'a str,
    pub actions: Option<&'a str>,
    pub needs: Option<&'a str>,
}

pub fn checkin(ctx: &Context, now: DateTime<Utc>, id: &str, can: CanArgs) -> Result<(), Failure> {
    let conditions = text_arg(can.conditions)?;
    let event = Event::CheckIn {
        conditions: conditions.trim().to_string(),
        actions: can.actions.map(|a| a.trim().to_string()),
        needs: can.needs.map(|n| n.trim().to_string()),
    };
    append(ctx, now, id, |_| event.clone()).map(drop)
}

/// `warroom roll ID`: prints the roll and the board; `--call` calls the roll first, `--add`
/// puts people on it.
pub fn roll(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    call: bool,
    add: &[String],
) -> Result<(), Failure> {
    let rules = ctx.config_for("roll", &["roll_call"])?.roll_rules;
    for person in add {
        let person = person.trim().to_string();
        append(ctx, now, id, |_| Event::RollAdded {
            person: person.clone(),
        })?;
    }
    let journal = if call {
        append(ctx, now, id, |_| Event::RollCalled {})?
    } else {
        ctx.store()?.open(id)?
    };
    let incident = journal
        .incident()
        .ok_or_else(|| Failure::runtime(format!("{id} has no opening entry")))?;
    let board = crate::domain::board(incident, &rules, now);
    for line in board_text(incident, &board, now) {
        say!("{line}");
    }
    Ok(())
}

/// Options of `warroom team`.
pub struct TeamArgs<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub lead: Option<&'a str>,
    pub goal: Option<&'a str>,
    pub members: &'a [String],
    pub time_box: &'a str,
    pub disband: bool,
}

pub fn team(ctx: &Context, now: DateTime<Utc>, args: TeamArgs) -> Result<(), Failure> {
    let id = args.id;
    if args.disband {
        let name = args
            .name
            .ok_or_else(|| Failure::bad_input("--disband: name the team to disband"))?;
        append(ctx, now, id, |_| Event::TeamDisbanded {
            team: name.to_string(),
        })?;
        say!("team {name} disbanded");
        return Ok(());
    }
    let lead = args
        .lead
        .ok_or_else(|| Failure::bad_input("--lead: who leads the team"))?;
    let goal = args
        .goal
        .ok_or_else(|| Failure::bad_input("--goal: what the team is to achieve"))?;
    let within =
        parse_duration(args.time_box).map_err(|e| Failure::bad_input(format!("--for: {e}")))?;
    if within <= chrono::Duration::zero() {
        return Err(Failure::bad_input("--for: must be more than zero"));
    }
    let journal = append(ctx, now, id, |i| Event::TeamFormed {
        team: args
            .name
            .map_or_else(|| i.roll.next_team_name(), |n| n.trim().to_string()),
        lead: lead.trim().to_string(),
        goal: goal.trim().to_string(),
        members: args.members.iter().map(|m| m.trim().to_string()).collect(),
        until: now + within,
    })?;
    if let Some(r) = journal.records().last() {
        say!("{}", r.entry.event.describe());
    }
    Ok(())
}

/// The roll call and the work board as text, as `warroom roll` prints them.
pub fn board_text(i: &Incident, board: &Board, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    match &board.called {
        Some((at, by)) => {
            let waiting: Vec<&str> = board.waiting().map(|p| p.person.as_str()).collect();
            out.push(format!(
                "{}: roll called by {by} {} ago; {} answered, {}",
                i.id,
                short_duration(now - *at),
                board.people.len() - waiting.len(),
                if waiting.is_empty() {
                    "everyone has answered".to_string()
                } else {
                    format!("waiting for {}", waiting.join(", "))
                }
            ));
        }
        None => out.push(format!("{}: no roll called yet", i.id)),
    }
    for p in &board.people {
        out.push(person_text(p));
    }
    for t in &board.teams {
        out.push(format!(
            "team {} (lead {}, {} member{}): {} — {}",
            t.name,
            t.lead,
            t.members.len(),
            if t.members.len() == 1 { "" } else { "s" },
            t.goal,
            time_left(t.left)
        ));
    }
    for p in i.paging.awaited() {
        let name = crate::domain::with_handle(&p.person, &p.handle);
        out.push(format!("{name}: {}", p.waiting_line()));
    }
    out.push(format!(
        "workstreams tracked directly: {} (span of control: {} at most)",
        board.workstreams,
        crate::domain::SPAN_OF_CONTROL
    ));
    out
}

fn time_left(left: chrono::Duration) -> String {
    if left < chrono::Duration::zero() {
        format!("over by {}", short_duration(-left))
    } else {
        format!("{} left", short_duration(left))
    }
}

fn person_text(p: &PersonLine) -> String {
    let roles: Vec<String> = p.roles.iter().map(|r| r.to_string()).collect();
    let roles = if roles.is_empty() {
        String::new()
    } else {
        format!(" ({})", roles.join(", "))
    };
    let answer = match p.answered {
        Some(true) => " answered;",
        Some(false) => " WAITING;",
        None => "",
    };
    let report = match (&p.report, &p.check_in) {
        (Report::Fresh(age), Some(c)) => format!("{} ago: {}", short_duration(*age), c.summary()),
        (Report::Stale(age), Some(c)) => {
            format!("STALE, {} ago: {}", short_duration(*age), c.summary())
        }
        _ => "no check-in".to_string(),
    };
    let tasks: Vec<String> = p
        .tasks
        .iter()
        .map(|(id, what, left)| format!("T{id} {what} ({})", time_left(*left)))
        .collect();
    let tasks = if tasks.is_empty() {
        String::new()
    } else {
        format!("; tasks: {}", tasks.join(", "))
    };
    let team = p
        .team
        .as_ref()
        .map(|t| format!("; in team {t}"))
        .unwrap_or_default();
    let relief = if p.relief { "; relief due" } else { "" };
    format!(
        "  {}{roles}:{answer} {report}{tasks}{team}; on for {}{relief}",
        p.person,
        short_duration(p.on_for)
    )
}
