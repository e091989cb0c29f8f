//! `warroom store init|status|push|pull` against a real PostgreSQL: the schema created once,
//! the store shown without its password, incidents copied both ways byte for byte, and the
//! password in no message, whatever goes wrong.

use crate::common::{self, run, warroom};
use crate::journal_large::large_with;
use crate::support::postgres;
use std::path::Path;

/// `warroom` on `data` with the store URL in the environment (never on the command line) and
/// a config file of the test's own (absent unless written).
fn store(data: &Path, url: &str, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_STORE_URL", url)
            .env("WARROOM_CONFIG", data.join("config.toml"))
            .env_remove("PGPASSFILE")
            .args(args);
        c
    })
}

fn assert_no_password(ran: &common::Ran, password: &str) {
    assert!(
        !ran.stdout.contains(password) && !ran.stderr.contains(password),
        "the password was printed:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
}

#[test]
fn init_creates_the_schema_once_and_status_says_where_without_the_password() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("cli_init");
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let shown = format!("postgres://warroom@127.0.0.1:{}/cli_init", cluster.port);

    let before = store(data, &url, &["store", "status"]);
    assert_eq!(before.code, Some(0), "{}", before.stderr);
    assert!(
        before.stdout.contains(&format!("store:     {shown}\n")),
        "{}",
        before.stdout
    );
    assert!(
        before.stdout.contains("reachable: yes (PostgreSQL 15"),
        "{}",
        before.stdout
    );
    assert!(
        before.stdout.contains("schema:    none yet"),
        "{}",
        before.stdout
    );

    let init = store(data, &url, &["store", "init"]);
    assert_eq!(init.code, Some(0), "{}", init.stderr);
    assert_eq!(
        init.stdout,
        format!(
            "{shown}: schema version {} (created)\n",
            warroom::journal::SCHEMA_VERSION
        )
    );
    let again = store(data, &url, &["store", "init"]);
    assert_eq!(
        again.stdout,
        format!(
            "{shown}: schema version {} (already up to date)\n",
            warroom::journal::SCHEMA_VERSION
        )
    );

    let id = common::open_incident(data, "alice", "Checkout 500s", "sev1");
    let push = store(data, &url, &["store", "push", &id]);
    assert_eq!(push.code, Some(0), "{}", push.stderr);
    let after = store(data, &url, &["store", "status"]);
    assert!(
        after.stdout.contains(&format!(
            "schema:    version {}\n",
            warroom::journal::SCHEMA_VERSION
        )),
        "{}",
        after.stdout
    );
    assert!(
        after.stdout.contains("incidents: 1\n  INC-1\t1 entries\n"),
        "{}",
        after.stdout
    );
    for ran in [&before, &init, &again, &push, &after] {
        assert_no_password(ran, &cluster.password);
    }
}

#[test]
fn push_then_pull_of_a_ten_thousand_event_incident_gives_byte_identical_lines() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("cli_copy");
    let here = tempfile::tempdir().unwrap();
    let id = large_with(here.path(), 10_000);
    let original = std::fs::read(common::journal_path(here.path(), &id)).unwrap();

    let push = store(here.path(), &url, &["store", "push", &id]);
    assert_eq!(push.code, Some(0), "{}", push.stderr);
    assert!(
        push.stdout.starts_with(&format!(
            "{id}: 10000 of 10000 entries copied into postgres://"
        )),
        "{}",
        push.stdout
    );
    let again = store(here.path(), &url, &["store", "push", &id]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(again.stdout.contains("already in"), "{}", again.stdout);

    // Another machine's data directory, empty.
    let there = tempfile::tempdir().unwrap();
    let pull = store(there.path(), &url, &["store", "pull", &id]);
    assert_eq!(pull.code, Some(0), "{}", pull.stderr);
    assert!(
        pull.stdout.contains("10000 of 10000 entries copied into"),
        "{}",
        pull.stdout
    );
    let copied = std::fs::read(common::journal_path(there.path(), &id)).unwrap();
    assert!(
        copied == original,
        "the pulled journal differs from the pushed one"
    );
    let verify = store(there.path(), &url, &["verify", &id]);
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    // Pulling onto the same lines copies nothing; onto different ones is refused.
    let same = store(there.path(), &url, &["store", "pull", &id]);
    assert!(same.stdout.contains("already in"), "{}", same.stdout);
    let note = run({
        let mut c = warroom(there.path(), "bob");
        c.args(["note", &id, "only here"]);
        c
    });
    assert_eq!(note.code, Some(0), "{}", note.stderr);
    let differs = store(there.path(), &url, &["store", "pull", &id]);
    assert_eq!(differs.code, Some(1), "{}", differs.stdout);
    assert!(
        differs.stderr.contains("nothing was copied"),
        "{}",
        differs.stderr
    );
    // …and pushing the longer journal adds just the new line.
    let more = store(there.path(), &url, &["store", "push", &id]);
    assert_eq!(more.code, Some(0), "{}", more.stderr);
    assert!(
        more.stdout.contains("1 of 10001 entries copied"),
        "{}",
        more.stdout
    );
    for ran in [&push, &again, &pull, &same, &differs, &more] {
        assert_no_password(ran, &cluster.password);
    }
}

#[test]
fn the_store_password_appears_in_no_message_whatever_goes_wrong() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("cli_secret");
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let pw = &cluster.password;

    // On the command line, `ps` would show it: refused before anything is tried.
    let flag = store(data, "", &["store", "status", "--store", &url]);
    assert_eq!(flag.code, Some(2), "{}", flag.stderr);
    assert!(
        flag.stderr.contains("--store") && flag.stderr.contains("ps"),
        "{}",
        flag.stderr
    );
    assert_no_password(&flag, pw);
    // Without a password it is taken (the password comes from PGPASSFILE then).
    let pgpass = data.join("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{}:*:warroom:{pw}\n", cluster.port),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let plain = format!("postgres://warroom@127.0.0.1:{}/cli_secret", cluster.port);
    let from_file = run({
        let mut c = warroom(data, "alice");
        c.env("PGPASSFILE", &pgpass)
            .env("WARROOM_CONFIG", data.join("config.toml"))
            .env_remove("WARROOM_STORE_URL")
            .args(["store", "status", "--store", &plain]);
        c
    });
    assert_eq!(from_file.code, Some(0), "{}", from_file.stderr);
    assert_no_password(&from_file, pw);

    // A wrong password, a port nobody listens on, a URL that does not read, a database that
    // does not exist: each says what is wrong and where, never with the password.
    let wrong = url.replace(pw.as_str(), "Wr0ngS3cretValue");
    let port = crate::support::servers::free_port();
    let cases = [
        (
            wrong.clone(),
            1,
            "password authentication failed",
            "Wr0ngS3cretValue",
        ),
        (
            url.replace(&format!(":{}/", cluster.port), &format!(":{port}/")),
            1,
            "cannot reach the store",
            pw.as_str(),
        ),
        (
            format!("{url}&sslmode=sometimes"),
            2,
            "sslmode=sometimes",
            pw.as_str(),
        ),
        (
            url.replace("/cli_secret", "/no_such_db"),
            1,
            "no_such_db",
            pw.as_str(),
        ),
    ];
    for (bad, code, says, secret) in cases {
        let ran = store(data, &bad, &["store", "status"]);
        assert_eq!(ran.code, Some(code), "{says}: {}", ran.stderr);
        assert!(ran.stderr.contains(says), "{says}: {}", ran.stderr);
        if code == 1 {
            // Where, without the password (a URL that does not read has no "where" yet).
            assert!(
                ran.stderr.contains("postgres://warroom@127.0.0.1:"),
                "{}",
                ran.stderr
            );
        }
        assert_no_password(&ran, secret);
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    }

    // Unknown incidents are bad input, and still no password.
    for verb in ["push", "pull"] {
        let ran = store(data, &url, &["store", verb, "INC-404"]);
        assert_eq!(ran.code, Some(2), "{verb}: {}", ran.stderr);
        assert!(ran.stderr.contains("INC-404"), "{}", ran.stderr);
        assert_no_password(&ran, pw);
    }
}

#[test]
fn the_store_section_of_config_toml_is_used_and_checked() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("cli_config");
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let config = data.join("config.toml");

    std::fs::write(
        &config,
        "[store]\nurl_env = \"TEAM_DB\"\nsslmode = \"disable\"\n",
    )
    .unwrap();
    let ran = run({
        let mut c = warroom(data, "alice");
        c.env("TEAM_DB", &url)
            .env("WARROOM_CONFIG", &config)
            .env_remove("WARROOM_STORE_URL")
            .args(["store", "status"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("/cli_config\n"), "{}", ran.stdout);

    std::fs::write(
        &config,
        "[store]\nurl_env = \"TEAM_DB\"\nsslmode = \"sometimes\"\n",
    )
    .unwrap();
    let bad = store(data, &url, &["store", "status"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains(&format!("{}:3:11: store.sslmode", config.display())),
        "{}",
        bad.stderr
    );

    std::fs::write(&config, "[store]\nurl = \"mysql://x\"\n").unwrap();
    let bad = store(data, &url, &["check-config"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains(":2:7: store.url"), "{}", bad.stderr);

    std::fs::write(&config, "").unwrap();
    let none = run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_CONFIG", &config)
            .env_remove("WARROOM_STORE_URL")
            .args(["store", "status"]);
        c
    });
    assert_eq!(none.code, Some(2), "{}", none.stderr);
    assert!(none.stderr.contains("no store"), "{}", none.stderr);
}
