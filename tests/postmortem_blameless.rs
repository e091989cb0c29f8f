//! The blameless check: what it must flag (blame, hindsight, judgement, a person as the subject
//! of a failure), and the ordinary incident language it must leave alone, or nobody reads its
//! findings.

use crate::postmortem_fixture;

use warroom::postmortem::{BlamelessCheck, Rule, blameless};

fn check() -> BlamelessCheck {
    BlamelessCheck::new(["alice", "bob", "dan", "Carol Smith"])
}

/// The rule and the words flagged in `text`.
fn flagged(text: &str) -> Vec<(Rule, String)> {
    check()
        .scan_text(text)
        .into_iter()
        .map(|h| (h.rule, text[h.start..h.end].to_string()))
        .collect()
}

#[test]
fn blameful_phrasing_is_flagged_with_the_words_as_written() {
    let cases: &[(&str, Rule, &str)] = &[
        (
            "root cause: human error during the deploy",
            Rule::HumanError,
            "human error",
        ),
        (
            "Human-error again, on the LB",
            Rule::HumanError,
            "Human-error",
        ),
        (
            "two human errors in one night",
            Rule::HumanError,
            "human errors",
        ),
        ("honestly it was bob's fault", Rule::Fault, "bob's fault"),
        ("the intern’s fault, really", Rule::Fault, "intern’s fault"),
        ("not my fault the pager was off", Rule::Fault, "my fault"),
        ("who is to blame for the config", Rule::Fault, "to blame"),
        ("payments blamed the gateway", Rule::Fault, "blamed"),
        (
            "we should have checked the canary",
            Rule::Hindsight,
            "should have checked",
        ),
        (
            "this should've been caught in review",
            Rule::Hindsight,
            "should've been",
        ),
        (
            "we shouldn't have deployed on a Friday",
            Rule::Hindsight,
            "shouldn't have deployed",
        ),
        (
            "a careless change to the config",
            Rule::Judgement,
            "careless",
        ),
        (
            "negligent handling of the keys",
            Rule::Judgement,
            "negligent",
        ),
        ("a stupid mistake in the YAML", Rule::Judgement, "stupid"),
        (
            "bob broke the pricing config",
            Rule::PersonFailed,
            "bob broke",
        ),
        (
            "Alice forgot to renew the cert",
            Rule::PersonFailed,
            "Alice forgot",
        ),
        ("bob didn't page payments", Rule::PersonFailed, "bob didn't"),
        (
            "then dan accidentally misconfigured the LB",
            Rule::PersonFailed,
            "dan accidentally misconfigured",
        ),
        (
            "alice did not roll back",
            Rule::PersonFailed,
            "alice did not",
        ),
        (
            "Carol Smith missed the alert",
            Rule::PersonFailed,
            "Carol Smith missed",
        ),
    ];
    for (text, rule, words) in cases {
        assert_eq!(
            flagged(text),
            vec![(*rule, words.to_string())],
            "in {text:?}"
        );
    }
}

#[test]
fn ordinary_incident_language_is_left_alone() {
    for text in [
        "the error rate is 31% on /checkout",
        "error budget for the month is gone",
        "logs are human-readable again",
        "human-readable error messages in the tax service",
        // An expectation about the system, not hindsight about a person: see the module docs.
        "the cluster should have capacity for 2x traffic",
        "each zone should have 3 replicas",
        "ran git blame on pricing.rs",
        "keep the post-mortem blameless",
        "fault tolerance kicked in; the default route is fine",
        "segfault in the tax worker",
        "bob failed over the database to the replica",
        "the deploy failed twice",
        "bob reported that checkout broke at 08:57",
        "bobby broke nothing",
        "lazy loading is off for the cart",
        "alice's dashboard shows the spike",
    ] {
        assert_eq!(flagged(text), vec![], "in {text:?}");
    }
}

#[test]
fn overlapping_phrases_are_reported_once() {
    // "bob should have" is hindsight; it is not also reported as bob failing.
    assert_eq!(
        flagged("bob should have checked"),
        vec![(Rule::Hindsight, "should have checked".to_string())]
    );
}

#[test]
fn findings_name_the_entry_and_time_and_the_people_come_from_the_incident() {
    let entries = postmortem_fixture::entries();
    let people = blameless::people(&entries);
    for name in ["alice", "bob", "carol", "dan"] {
        assert!(people.contains(&name), "{name} in {people:?}");
    }
    let findings = blameless::scan(&entries);
    let found: Vec<(u64, String, Rule, &str)> = findings
        .iter()
        .map(|f| (f.seq, f.at.to_rfc3339(), f.rule, f.phrase.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                17,
                "2026-11-21T09:06:30+00:00".to_string(),
                Rule::PersonFailed,
                "dan forgot"
            ),
            (
                17,
                "2026-11-21T09:06:30+00:00".to_string(),
                Rule::Hindsight,
                "should have caught"
            ),
        ]
    );
    assert!(findings[0].suggestion.contains("instead of \"dan forgot\""));
    // The text is quoted, never rewritten.
    assert!(
        findings[0]
            .excerpt
            .starts_with("dan forgot to release the deploy lock")
    );
}

#[test]
fn a_large_incident_is_scanned_in_parts_with_the_same_findings_in_journal_order() {
    // The fixture repeated 500 times (well past the size scanned on two threads): each copy
    // must give exactly the fixture's findings, in journal order.
    let base = postmortem_fixture::entries();
    let expected = blameless::scan(&base);
    assert!(!expected.is_empty());
    let copies = 500;
    let mut big = Vec::new();
    for c in 0..copies {
        for e in &base {
            let mut e = e.clone();
            e.seq += (c * base.len()) as u64;
            big.push(e);
        }
    }
    assert!(big.len() > 8192, "{} entries", big.len());
    let found = blameless::scan(&big);
    assert_eq!(found.len(), expected.len() * copies);
    for (i, f) in found.iter().enumerate() {
        let (copy, want) = (i / expected.len(), &expected[i % expected.len()]);
        let shift = (copy * base.len()) as u64;
        assert_eq!(f.seq, want.seq + shift, "finding {i}");
        assert_eq!(
            (&f.phrase, &f.excerpt, f.rule, &f.by, &f.source),
            (
                &want.phrase,
                &want.excerpt,
                want.rule,
                &want.by,
                &want.source
            ),
            "finding {i}"
        );
    }
}
