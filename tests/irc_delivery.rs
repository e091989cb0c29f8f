//! Status updates posted to an IRC channel on a real ngIRCd (tests/support/ngircd.rs): the
//! update arrives as PRIVMSG lines that fit IRC's line limit, no text in it ever becomes a
//! command, and every way a delivery fails (nick in use, refused, no answer, banned, kicked)
//! is journaled as not delivered with its reason.

use crate::support;

use serde_json::Value;
use std::time::Duration;
use support::cli::Setup;
use support::ngircd::{self, Client, command, from_nick};

fn irc_setup(port: u16, nick: &str, channel: &str, extra: &str) -> Setup {
    support::cli::setup(
        &format!(
            "[[webhook]]\nkind = \"irc\"\nname = \"ops-irc\"\nserver = \"127.0.0.1\"\nport = {port}\n\
             nick = \"{nick}\"\nchannel = \"{channel}\"\n{extra}"
        ),
        &[],
    )
}

/// `warroom update` with `text` on standard input.
fn update(s: &Setup, text: &str) -> std::process::Output {
    s.command()
        .args(["update", &s.id, "-"])
        .write_stdin(text.as_bytes().to_vec())
        .output()
        .unwrap()
}

fn delivery(s: &Setup) -> Value {
    let d = s.of_type("update_delivered");
    assert_eq!(d.len(), 1, "{d:?}");
    d[0].clone()
}

/// About 2,000 characters: emoji, accents, CJK, line breaks, and lines that would be commands
/// if a line break in the text reached the server as one.
fn hostile_update() -> String {
    let mut text = String::from(
        "Checkout is degraded 🔥 since 14:02 UTC; payments naïve retry storm.\n\
         We rolled back 🚒 the deploy\r\nQUIT :injected by the text\r\n\
         JOIN #elsewhere\nNICK hijacked\rPRIVMSG #ops :forged line\n\
         MODE #ops +b *!*@*\n\n\tindented\twith tabs\x02bold\x03colour\x7f\n",
    );
    let words = [
        "日本語の",
        "サービス",
        "📈",
        "error",
        "rate",
        "p99",
        "latency",
        "🧯",
        "résumé",
    ];
    let mut n = 0;
    while text.chars().count() < 2000 {
        text.push_str(words[n % words.len()]);
        text.push(if n % 37 == 36 { '\n' } else { ' ' });
        n += 1;
    }
    text.push_str("Next update in 30 minutes.");
    text
}

/// What a reader sees of `text` once control characters are neutralised, with whitespace
/// (where lines were cut or broken) left out.
fn visible(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != char::REPLACEMENT_CHARACTER)
        .collect()
}

#[test]
fn an_update_reaches_the_channel_in_lines_and_its_text_issues_no_command() {
    let Some(server) = ngircd::start() else {
        return;
    };
    let mut watcher = Client::connect(server.port, "watcher");
    watcher.join("#ops");
    // Where a JOIN smuggled in the text would show.
    watcher.join("#elsewhere");
    let s = irc_setup(server.port, "warroom", "#ops", "");
    let text = hostile_update();
    let out = update(&s, &text);
    assert!(
        out.status.success(),
        "{}\n{}",
        support::cli::stderr(&out),
        server.log()
    );
    watcher.expect(
        |l| command(l) == "QUIT" && from_nick(l) == Some("warroom"),
        "QUIT from warroom",
    );
    // Anything sent after its QUIT would show here.
    watcher.read_for(Duration::from_millis(500));

    let from_warroom: Vec<&String> = watcher
        .seen
        .iter()
        .filter(|l| from_nick(l).is_some_and(|n| n.starts_with("warroom") || n == "hijacked"))
        .collect();
    let commands: Vec<&str> = from_warroom.iter().map(|l| command(l)).collect();
    assert_eq!(commands.first(), Some(&"JOIN"), "{from_warroom:#?}");
    assert_eq!(commands.last(), Some(&"QUIT"), "{from_warroom:#?}");
    assert!(
        commands[1..commands.len() - 1]
            .iter()
            .all(|c| *c == "PRIVMSG"),
        "warroom sent something besides PRIVMSG: {from_warroom:#?}"
    );
    assert!(
        from_warroom[0].contains(" JOIN :#ops") || from_warroom[0].contains(" JOIN #ops"),
        "{}",
        from_warroom[0]
    );
    let quit = from_warroom[from_warroom.len() - 1];
    assert!(quit.contains("status update posted"), "{quit}");
    assert!(!quit.contains("injected"), "{quit}");
    for line in &from_warroom {
        assert!(line.len() <= 512, "{} bytes: {line}", line.len());
        // Nothing addressed to the other channel (its name is in the text, said in #ops).
        let head = line.split_once(" :").map_or(line.as_str(), |(h, _)| h);
        assert!(!head.contains("#elsewhere"), "{line}");
    }

    let privmsgs: Vec<&str> = from_warroom
        .iter()
        .filter(|l| command(l) == "PRIVMSG")
        .map(|l| {
            let (head, said) = l.split_once(" :").expect("a PRIVMSG with text");
            assert!(head.ends_with("PRIVMSG #ops"), "{l}");
            said.trim_end_matches(['\r', '\n'])
        })
        .collect();
    assert!(privmsgs.len() >= 7, "{privmsgs:#?}");
    assert!(
        privmsgs[0].starts_with(&format!("[{} SEV1", s.id))
            && privmsgs[0].contains("Checkout 500s"),
        "{}",
        privmsgs[0]
    );
    // The journaled text is the update as recorded; the channel shows all of it.
    let recorded = s.of_type("status_update")[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(recorded.trim(), text.trim());
    assert_eq!(visible(&privmsgs[1..].concat()), visible(&recorded));
    // Each line of the text starts a message of its own: a line break is never lost.
    assert!(
        privmsgs.contains(&"QUIT :injected by the text"),
        "{privmsgs:#?}"
    );
    assert!(privmsgs.contains(&"JOIN #elsewhere"), "{privmsgs:#?}");

    let d = delivery(&s);
    assert_eq!(d["ok"], true, "{d}");
    assert_eq!(d["target"], "ops-irc");
    let detail = d["detail"].as_str().unwrap();
    assert!(detail.contains("#ops on 127.0.0.1"), "{detail}");
}

#[test]
fn a_taken_nick_is_tried_with_suffixes_then_journaled_as_not_delivered() {
    let Some(server) = ngircd::start() else {
        return;
    };
    let _taken: Vec<Client> = ["warroom", "warroom_", "warroom__"]
        .iter()
        .map(|n| Client::connect(server.port, n))
        .collect();
    let s = irc_setup(server.port, "warroom", "#ops", "retries = 0\n");
    let out = update(&s, "Payments recovered.");
    assert_eq!(out.status.code(), Some(1), "{}", support::cli::stderr(&out));
    let d = delivery(&s);
    assert_eq!(d["ok"], false);
    assert_eq!(
        d["detail"], "nick in use: warroom, warroom_, warroom__ (433)",
        "{d}"
    );
    assert!(support::cli::stderr(&out).contains("NOT posted to ops-irc"));
}

#[test]
fn a_refused_connection_is_journaled_as_not_delivered() {
    let port = support::servers::free_port();
    let s = irc_setup(port, "warroom", "#ops", "retries = 0\n");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    let d = delivery(&s);
    assert_eq!(d["ok"], false);
    assert_eq!(
        d["detail"],
        format!("connection refused or unreachable (127.0.0.1:{port})")
    );
}

#[test]
fn a_server_that_never_answers_times_out_and_is_journaled() {
    // Connections are accepted by the kernel and never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let s = irc_setup(port, "warroom", "#ops", "timeout = \"1s\"\nretries = 1\n");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    let d = delivery(&s);
    assert_eq!(d["ok"], false);
    assert_eq!(d["attempts"], 2);
    assert_eq!(
        d["detail"], "no answer within 1s (the server's welcome)",
        "{d}"
    );
}

#[test]
fn a_ban_or_a_kick_from_the_channel_is_journaled_as_not_delivered() {
    let Some(server) = ngircd::start() else {
        return;
    };
    // The first to join a channel is its operator.
    let mut op = Client::connect(server.port, "chanop");
    op.join("#locked");
    op.send("MODE #locked +b warroom!*@*");
    op.expect(|l| command(l) == "MODE", "the ban");
    let s = irc_setup(server.port, "warroom", "#locked", "retries = 0\n");
    assert_eq!(update(&s, "Payments recovered.").status.code(), Some(1));
    let d = delivery(&s);
    assert_eq!(
        (d["ok"].as_bool(), d["detail"].as_str()),
        (Some(false), Some("banned from #locked (474)")),
        "{d}"
    );

    op.join("#kicks");
    let s = irc_setup(server.port, "warroom", "#kicks", "retries = 0\n");
    let text = hostile_update();
    let posting = std::thread::spawn(move || (update(&s, &text), s));
    op.expect(
        |l| command(l) == "JOIN" && from_nick(l).is_some_and(|n| n.starts_with("warroom")),
        "warroom joining",
    );
    let joined = op.seen.last().cloned().unwrap_or_default();
    let nick = from_nick(&joined).unwrap_or("warroom").to_string();
    op.send(&format!("KICK #kicks {nick} :not here, please"));
    let (out, s) = posting.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let d = delivery(&s);
    assert_eq!(d["ok"], false);
    assert_eq!(
        d["detail"], "kicked from #kicks by chanop: not here, please",
        "{d}"
    );
}

#[test]
fn a_server_password_and_a_channel_key_come_from_the_environment() {
    let Some(server) = ngircd::start_with("Password = s3cret-pass\n", None) else {
        return;
    };
    let mut op = Client::connect_with_password(server.port, "chanop", "s3cret-pass");
    op.join("#keyed");
    op.send("MODE #keyed +k sesame");
    op.expect(|l| command(l) == "MODE", "the key");
    // A refusal is final: one attempt, though a second one is allowed.
    let config = "password_env = \"IRC_PASS\"\nchannel_key_env = \"OPS_KEY\"\nretries = 1\n";
    let irc = |password: &str, key: &str| {
        support::cli::setup(
            &format!(
                "[[webhook]]\nkind = \"irc\"\nserver = \"127.0.0.1\"\nport = {}\nnick = \"warroom\"\n\
                 channel = \"#keyed\"\n{config}",
                server.port
            ),
            &[("IRC_PASS", password), ("OPS_KEY", key)],
        )
    };

    let s = irc("s3cret-pass", "sesame");
    let out = update(&s, "Payments recovered.");
    assert!(out.status.success(), "{}", support::cli::stderr(&out));
    op.expect(
        |l| command(l) == "PRIVMSG" && l.ends_with(":Payments recovered."),
        "the update",
    );

    let s = irc("s3cret-pass", "not-the-key");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    let d = delivery(&s);
    assert_eq!(d["detail"], "wrong or missing key for #keyed (475)");
    assert_eq!(d["attempts"], 1);

    let s = irc("wrong-pass", "sesame");
    let out = update(&s, "x");
    assert_eq!(out.status.code(), Some(1));
    let d = delivery(&s);
    assert_eq!(
        d["detail"],
        "the server closed the connection: Access denied: Bad password?"
    );
    assert_eq!(d["attempts"], 1);
    // A line break in a secret from the environment never reaches the server as a command.
    let s = irc("s3cret-pass\r\nJOIN #elsewhere", "sesame");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    assert_eq!(
        delivery(&s)["detail"],
        "refused to send a PASS holding a line break or NUL (from the config or its environment variables)"
    );

    // Neither secret is anywhere in what warroom recorded or said.
    let log = String::from_utf8(s.run(&["log", &s.id, "--json"]).stdout).unwrap();
    for secret in ["wrong-pass", "sesame"] {
        assert!(!log.contains(secret), "{log}");
        assert!(!support::cli::stderr(&out).contains(secret));
    }
}

#[test]
fn irc_settings_that_cannot_work_are_refused_with_file_and_line() {
    let cases = [
        (
            "kind = \"irc\"\nnick = \"w\"\nchannel = \"#ops\"\n",
            "kind = \"irc\" needs server",
        ),
        (
            "kind = \"irc\"\nserver = \"irc\"\nchannel = \"#ops\"\n",
            "kind = \"irc\" needs nick",
        ),
        (
            "kind = \"irc\"\nserver = \"irc\"\nnick = \"w\"\n",
            "kind = \"irc\" needs channel",
        ),
        (
            "kind = \"irc\"\nserver = \"irc\"\nnick = \"war room\"\nchannel = \"#ops\"\n",
            "nick 'war room' is not an IRC nickname",
        ),
        (
            "kind = \"irc\"\nserver = \"irc\"\nnick = \"w\"\nchannel = \"ops\"\n",
            "channel 'ops' is not an IRC channel",
        ),
        (
            "kind = \"irc\"\nserver = \"irc\"\nnick = \"w\"\nchannel = \"#ops\\r\\nQUIT\"\n",
            "channel '#ops\\r\\nQUIT' is not an IRC channel",
        ),
        (
            "kind = \"irc\"\nserver = \"irc\"\nnick = \"w\\nQUIT\"\nchannel = \"#ops\"\n",
            "nick 'w\\nQUIT' is not an IRC nickname",
        ),
        (
            "kind = \"irc\"\nurl = \"http://x\"\nserver = \"irc\"\nnick = \"w\"\nchannel = \"#ops\"\n",
            "kind = \"irc\" takes server, nick and channel, not url",
        ),
        (
            "kind = \"slack\"\nurl = \"http://x\"\nchannel = \"#ops\"\n",
            "channel is only for kind = \"irc\"",
        ),
    ];
    for (webhook, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        // A good webhook first: the error must name the second one and its line.
        let text =
            format!("[[webhook]]\nkind = \"json\"\nurl = \"http://x\"\n\n[[webhook]]\n{webhook}");
        std::fs::write(&config, &text).unwrap();
        let out = support::cli::warroom(&dir.path().join("data"), &config, &[])
            .arg("check-config")
            .output()
            .unwrap();
        let stderr = support::cli::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}\n{stderr}");
        let expected = format!("{}:5:1: webhook #2: {reason}", config.display());
        assert!(stderr.contains(&expected), "{expected}\n{stderr}");
    }
}

#[test]
fn check_config_says_where_an_irc_webhook_posts_and_what_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[webhook]]\nkind = \"irc\"\nname = \"ops-irc\"\nserver = \"irc.example.net\"\ntls = true\n\
         nick = \"warroom\"\nchannel = \"#ops\"\npassword_env = \"IRC_PASS_UNSET\"\n",
    )
    .unwrap();
    let run = |env: &[(String, String)]| {
        let out = support::cli::warroom(&dir.path().join("data"), &config, env)
            .env_remove("IRC_PASS_UNSET")
            .arg("check-config")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", support::cli::stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let said = run(&[]);
    assert!(
        said.contains(
            "webhook ops-irc (irc): WARNING: environment variable IRC_PASS_UNSET is not set"
        ),
        "{said}"
    );
    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("password_env = \"IRC_PASS_UNSET\"\n", ""),
    )
    .unwrap();
    let said = run(&[]);
    assert!(
        said.contains("webhook ops-irc (irc): #ops on irc.example.net:6697 (TLS)"),
        "{said}"
    );
}

#[test]
fn over_tls_the_certificate_is_checked_against_the_ca_given_or_the_systems() {
    let pki_dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(pki_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pki = crate::share_tls::pki(pki_dir.path());
    std::fs::set_permissions(&pki.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let Some(server) = ngircd::start_with("", Some((&pki.cert, &pki.key))) else {
        return;
    };
    let tls_port = server.tls_port.unwrap();
    let mut watcher = Client::connect(server.port, "watcher");
    watcher.join("#ops");
    let tls = format!("tls = true\nca_file = {:?}\nretries = 0\n", pki.ca);
    let s = irc_setup(tls_port, "warroom", "#ops", &tls);
    let out = update(&s, "Encrypted all the way.");
    assert!(out.status.success(), "{}", support::cli::stderr(&out));
    watcher.expect(
        |l| command(l) == "PRIVMSG" && l.ends_with(":Encrypted all the way."),
        "the update sent over TLS",
    );
    let d = delivery(&s);
    let detail = d["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("127.0.0.1:{tls_port} (TLS)")),
        "{detail}"
    );

    // Without the CA, the system's roots do not know the test CA: nothing is sent.
    let s = irc_setup(tls_port, "warroom", "#ops", "tls = true\nretries = 0\n");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    let detail = delivery(&s)["detail"].as_str().unwrap().to_string();
    assert!(
        detail.starts_with(&format!("TLS with 127.0.0.1:{tls_port}:"))
            && detail.contains("certificate"),
        "{detail}"
    );
}

#[test]
fn a_server_that_sends_garbage_or_hangs_up_is_journaled_not_crashed_on() {
    use std::io::Write;
    // One server floods a line that never ends; the other hangs up at once.
    let flood = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hangup = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ports = (
        flood.local_addr().unwrap().port(),
        hangup.local_addr().unwrap().port(),
    );
    std::thread::spawn(move || {
        if let Ok((mut c, _)) = flood.accept() {
            let junk = vec![b'x'; 1 << 20];
            for _ in 0..50 {
                if c.write_all(&junk).is_err() {
                    break;
                }
            }
        }
    });
    std::thread::spawn(move || drop(hangup.accept()));
    let s = irc_setup(ports.0, "warroom", "#ops", "retries = 0\n");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    assert_eq!(
        delivery(&s)["detail"],
        "the server sent a line longer than 8192 bytes"
    );
    let s = irc_setup(ports.1, "warroom", "#ops", "retries = 0\n");
    assert_eq!(update(&s, "x").status.code(), Some(1));
    assert_eq!(delivery(&s)["detail"], "the server closed the connection");
}
