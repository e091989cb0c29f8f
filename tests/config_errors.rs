//! Every mistake in every config file (config.toml, services.toml, runbook.toml, a theme file,
//! the keys) is reported by `check-config` as `file:line:column: reason`, with the line and
//! column of the mistake, exit 2. Bytes that are not UTF-8 are named by line, column and byte
//! offset; NaN and infinite thresholds are refused; a port out of range says so.

use crate::common;

use common::{run, warroom};

/// Writes `files` (name, bytes) into a fresh config directory and runs `check-config`.
fn check_config(files: &[(&str, &[u8])]) -> (String, common::Ran) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.keep();
    std::fs::create_dir_all(dir.join("themes")).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let config = dir.join("config.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    let ran = run({
        let mut c = warroom(&dir.join("data"), "alice");
        c.env("WARROOM_CONFIG", &config)
            .env_remove("WARROOM_THEME")
            .arg("check-config");
        c
    });
    let shown = dir.display().to_string();
    (shown, ran)
}

/// (files, the file the error must name, its line and column, what the reason must say)
type Case<'a> = (&'a [(&'a str, &'a [u8])], &'a str, usize, usize, &'a str);

#[test]
fn every_config_mistake_names_file_line_and_column() {
    let cases: &[Case] = &[
        // config.toml: the theme it names
        (
            &[("config.toml", b"# mine\ntheme = \"neon\"\n")],
            "config.toml",
            2,
            9,
            "theme: no theme 'neon'",
        ),
        // config.toml: keys
        (
            &[("config.toml", b"[keys.nomode]\n\"x\" = \"help\"\n")],
            "config.toml",
            1,
            7,
            "unknown mode 'nomode'",
        ),
        (
            &[("config.toml", b"[keys]\nincident = { \"ctrl-\" = \"note\" }\n")],
            "config.toml",
            2,
            14,
            "keys.incident.\"ctrl-\"",
        ),
        (
            &[("config.toml", b"[keys.incident]\n\"ctrl-n\" = \"frobnicate\"\n")],
            "config.toml",
            2,
            12,
            "unknown command 'frobnicate'",
        ),
        (
            &[("config.toml", b"keys.list.\"x\" = 3\n")],
            "config.toml",
            1,
            17,
            "invalid type",
        ),
        // config.toml: bytes that are not UTF-8
        (
            &[("config.toml", b"theme = \"default\"\n# caf\xe9\n")],
            "config.toml",
            2,
            6,
            "not valid UTF-8 (byte 23)",
        ),
        // config.toml: [[intake]]
        (
            &[("config.toml", b"[[intake]]\nname = \"a b\"\nkind = \"json\"\nsecret_env = \"S\"\n")],
            "config.toml",
            2,
            8,
            "intake.name: \"a b\" must be 1 to 64 letters",
        ),
        (
            &[("config.toml", b"[[intake]]\nname = \"am\"\nkind = \"splunk\"\nsecret_env = \"S\"\n")],
            "config.toml",
            3,
            8,
            "unknown variant `splunk`",
        ),
        (
            &[("config.toml", b"[[intake]]\nname = \"am\"\nkind = \"alertmanager\"\n")],
            "config.toml",
            2,
            8,
            "intake am: set secret_env",
        ),
        (
            &[("config.toml", b"[[intake]]\nname = \"am\"\nkind = \"alertmanager\"\nsecret_env = \"hunter2 x\"\n")],
            "config.toml",
            4,
            14,
            "intake.secret_env: name an environment variable",
        ),
        (
            &[("config.toml", b"[[intake]]\nname = \"am\"\nkind = \"alertmanager\"\nsecret_env = \"S\"\nrate = 0\n")],
            "config.toml",
            5,
            8,
            "intake.rate: must be at least 1",
        ),
        (
            &[("config.toml", b"[[intake]]\nname = \"aws\"\nkind = \"sns\"\n")],
            "config.toml",
            3,
            8,
            "an sns source needs topics",
        ),
        (
            &[("config.toml", b"[[intake]]\nname = \"j\"\nkind = \"json\"\nsecret_env = \"S\"\nfields = { name = \"title\" }\n")],
            "config.toml",
            3,
            8,
            "fields.name: \"title\" is not a JSON pointer",
        ),
        (
            &[("config.toml", b"[prometheus]\nurl = \"http://127.0.0.1:9090\"\n\n[[intake]]\nname = \"prometheus\"\nkind = \"json\"\nsecret_env = \"S\"\nfields = { name = \"/t\" }\n")],
            "config.toml",
            5,
            8,
            "another alert source is already named \"prometheus\"",
        ),
        // config.toml: share.listen
        (
            &[("config.toml", b"[share]\nlisten = \"0.0.0.0:74200\"\n")],
            "config.toml",
            2,
            10,
            "port 74200 is out of range",
        ),
        (
            &[("config.toml", b"[share]\nlisten = \"[::1]:99999\"\n")],
            "config.toml",
            2,
            10,
            "port 99999 is out of range",
        ),
        (
            &[("config.toml", b"[share]\nlisten = \"warroom.example:7420\"\n")],
            "config.toml",
            2,
            10,
            "not an IP address",
        ),
        (
            &[("config.toml", b"[share]\nlisten = \"127.0.0.1\"\n")],
            "config.toml",
            2,
            10,
            "host:port",
        ),
        // services.toml: a CloudWatch metric
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\ncloudwatch = { namespace = \"N\", metric = \"M\", stat = \"mean\" }\n",
            )],
            "services.toml",
            5,
            54,
            "service a, metric m: cloudwatch.stat: \"mean\" is not a statistic",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\ncloudwatch = { namespace = \"N\", metric = \"M\", period = \"90s\" }\n",
            )],
            "services.toml",
            5,
            56,
            "cloudwatch.period: '90s': CloudWatch takes 1s, 5s, 10s, 30s or a multiple of 60s",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ncloudwatch = { namespace = \"N\", metric = \"M\" }\n",
            )],
            "services.toml",
            6,
            14,
            "has both promql and cloudwatch; give exactly one query",
        ),
        // services.toml: every float field, NaN and both infinities
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ndegraded_above = nan\n",
            )],
            "services.toml",
            6,
            18,
            "degraded_above must be a finite number",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ndown_above = inf\n",
            )],
            "services.toml",
            6,
            14,
            "down_above must be a finite number",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ndegraded_above = 0.1\ndown_above = -inf\n",
            )],
            "services.toml",
            7,
            14,
            "down_above must be a finite number",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ndegraded_above = -nan\n",
            )],
            "services.toml",
            6,
            18,
            "degraded_above must be a finite number",
        ),
        // services.toml: a metric's one query, the low bands
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\npromql = \"x\"\ngraphite = \"stats.x\"\n",
            )],
            "services.toml",
            6,
            12,
            "has both promql and graphite; give exactly one query",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\ndown_below = 1\n",
            )],
            "services.toml",
            4,
            8,
            "needs a query: one of promql, graphite",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\ngraphite = \"x\"\ndown_below = -inf\n",
            )],
            "services.toml",
            6,
            14,
            "down_below must be a finite number",
        ),
        (
            &[(
                "services.toml",
                b"[[service]]\nname = \"a\"\n[[service.metric]]\nname = \"m\"\ngraphite = \"x\"\ndegraded_below = 1\ndown_below = 2\n",
            )],
            "services.toml",
            4,
            8,
            "degraded_below (1) is under down_below (2)",
        ),
        // config.toml: [graphite]
        (
            &[("config.toml", b"[graphite]\nurl = \"graphite:8080\"\n")],
            "config.toml",
            2,
            7,
            "graphite.url",
        ),
        (
            &[(
                "config.toml",
                b"[graphite]\nurl = \"http://graphite\"\npassword_env = \"GRAPHITE_PASSWORD\"\n",
            )],
            "config.toml",
            3,
            16,
            "graphite.password_env: needs graphite.user beside it",
        ),
        (
            &[(
                "config.toml",
                b"[graphite]\nurl = \"http://graphite\"\nuser = \"w\"\npassword_env = \"hunter2 secret\"\n",
            )],
            "config.toml",
            4,
            16,
            "graphite.password_env: name an environment variable",
        ),
        (
            &[("services.toml", b"[[service]]\nname = \"\xff\"\n")],
            "services.toml",
            2,
            9,
            "not valid UTF-8 (byte 20)",
        ),
        // runbook.toml
        (
            &[(
                "runbook.toml",
                b"[[action]]\nname = \"x\"\nkind = \"exec\"\nargv = [\"caf\xc3\"]\n",
            )],
            "runbook.toml",
            4,
            13,
            "not valid UTF-8 (byte 48)",
        ),
        // a theme file
        (
            &[
                ("config.toml", b"theme = \"mine\"\n"),
                ("themes/mine.toml", b"name = \"Mine\"\nextends = \"neon\"\n"),
            ],
            "themes/mine.toml",
            2,
            11,
            "extends: no built-in theme 'neon'",
        ),
        (
            &[
                ("config.toml", b"theme = \"mine\"\n"),
                ("themes/mine.toml", b"[roles.text]\nfg = \"red\"\n[roles.glow]\nbold = true\n"),
            ],
            "themes/mine.toml",
            3,
            8,
            "roles.glow: unknown role",
        ),
        (
            &[
                ("config.toml", b"theme = \"mine\"\n"),
                (
                    "themes/mine.toml",
                    b"[palette]\nsea = \"#0077be\"\n[roles.text]\nbold = true\nbg = \"sky\"\n",
                ),
            ],
            "themes/mine.toml",
            5,
            6,
            "roles.text.bg: unknown colour 'sky'",
        ),
        (
            &[
                ("config.toml", b"theme = \"mine\"\n"),
                ("themes/mine.toml", b"[roles.text]\nfg = \"r\xe9d\"\n"),
            ],
            "themes/mine.toml",
            2,
            8,
            "not valid UTF-8 (byte 20)",
        ),
        // config.toml: [cloudwatch]
        (
            &[("config.toml", b"[cloudwatch]\nregion = \"EU West\"\n")],
            "config.toml",
            2,
            10,
            "cloudwatch.region: \"EU West\" is not an AWS region",
        ),
        (
            &[(
                "config.toml",
                b"[cloudwatch]\nregion = \"eu-west-1\"\nendpoint = \"moto:5000\"\n",
            )],
            "config.toml",
            3,
            12,
            "cloudwatch.endpoint: must start with http:// or https://",
        ),
        (
            &[(
                "config.toml",
                b"[cloudwatch]\nregion = \"eu-west-1\"\nprofile = \" \"\n",
            )],
            "config.toml",
            3,
            11,
            "cloudwatch.profile: empty",
        ),
    ];
    let mut wrong = Vec::new();
    for (files, file, line, column, says) in cases {
        let (dir, ran) = check_config(files);
        let first = ran.stderr.lines().next().unwrap_or("").to_string();
        let place = format!("warroom: {dir}/{file}:{line}:{column}: ");
        if ran.code != Some(2) || !first.starts_with(&place) || !first.contains(says) {
            wrong.push(format!(
                "{:?}: exit {:?}, {first:?}; expected {place:?} … {says:?}",
                files
                    .iter()
                    .map(|(n, b)| (n, String::from_utf8_lossy(b)))
                    .collect::<Vec<_>>(),
                ran.code
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
