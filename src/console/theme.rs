//! Themes: semantic roles (what a thing means for the call leader: `critical`, `muted`, …)
//! mapped to styles over a named palette. Built-in themes are the TOML files in `themes/`,
//! embedded in the binary; a user theme `<config_dir>/themes/<name>.toml` may set
//! `extends = "<built-in>"` and override only some roles. `NO_COLOR` gives a monochrome theme
//! that keeps meaning with bold, reverse and dim.

use crate::config::{Config, ConfigError, parse_toml};
use crate::domain::Severity;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use toml::Spanned;

pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// What a piece of the screen means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Meaning {
    Text,
    Muted,
    Accent,
    Title,
    Critical,
    Warning,
    Ok,
    Info,
    Selection,
    Border,
    BorderFocus,
    Header,
    Banner,
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl Meaning {
    const ALL: &'static [(Meaning, &'static str)] = &[
        (Meaning::Text, "text"),
        (Meaning::Muted, "muted"),
        (Meaning::Accent, "accent"),
        (Meaning::Title, "title"),
        (Meaning::Critical, "critical"),
        (Meaning::Warning, "warning"),
        (Meaning::Ok, "ok"),
        (Meaning::Info, "info"),
        (Meaning::Selection, "selection"),
        (Meaning::Border, "border"),
        (Meaning::BorderFocus, "border_focus"),
        (Meaning::Header, "header"),
        (Meaning::Banner, "banner"),
        (Meaning::Sev1, "sev1"),
        (Meaning::Sev2, "sev2"),
        (Meaning::Sev3, "sev3"),
        (Meaning::Sev4, "sev4"),
    ];

    pub fn of_severity(s: Severity) -> Meaning {
        match s {
            Severity::Sev1 => Meaning::Sev1,
            Severity::Sev2 => Meaning::Sev2,
            Severity::Sev3 => Meaning::Sev3,
            Severity::Sev4 => Meaning::Sev4,
        }
    }

    /// A note's colour by its kind.
    pub fn of_note(k: crate::domain::NoteKind) -> Meaning {
        match k {
            crate::domain::NoteKind::Observation => Meaning::Text,
            crate::domain::NoteKind::Hypothesis => Meaning::Warning,
            crate::domain::NoteKind::Decision => Meaning::Accent,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Meaning, Style>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, RoleStyle>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleStyle {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

impl Theme {
    pub fn style(&self, m: Meaning) -> Style {
        self.styles.get(&m).copied().unwrap_or_default()
    }

    pub fn severity(&self, s: Severity) -> Style {
        self.style(Meaning::of_severity(s))
    }

    /// The built-in theme `name`.
    pub fn built_in(name: &str) -> Option<Theme> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        let file: ThemeFile = toml::from_str(text).ok()?;
        Theme::from_file(name, file, None).ok()
    }

    /// No colour at all, for `NO_COLOR`: meaning carried by bold, reverse and dim.
    pub fn monochrome() -> Theme {
        let b = Style::new().add_modifier(Modifier::BOLD);
        let styles = BTreeMap::from([
            (Meaning::Text, Style::new()),
            (Meaning::Muted, Style::new().add_modifier(Modifier::DIM)),
            (Meaning::Accent, b),
            (Meaning::Title, b),
            (Meaning::Critical, b.add_modifier(Modifier::REVERSED)),
            (Meaning::Warning, b),
            (Meaning::Ok, Style::new()),
            (Meaning::Info, Style::new()),
            (
                Meaning::Selection,
                Style::new().add_modifier(Modifier::REVERSED),
            ),
            (Meaning::Border, Style::new()),
            (Meaning::BorderFocus, b),
            (Meaning::Header, b),
            (Meaning::Banner, b.add_modifier(Modifier::REVERSED)),
            (Meaning::Sev1, b.add_modifier(Modifier::REVERSED)),
            (Meaning::Sev2, b),
            (Meaning::Sev3, Style::new()),
            (Meaning::Sev4, Style::new()),
        ]);
        Theme {
            name: "monochrome".into(),
            styles,
        }
    }

    /// Chooses the theme: `NO_COLOR` wins, then `--theme` (`flag`), then `config.toml`'s
    /// `theme`, then `default`. A user theme file in `<config_dir>/themes/` overrides a
    /// built-in of the same name. An unknown name is reported where it was given (`--theme`,
    /// or config.toml's line); a bad theme file at its own line.
    pub fn select(
        flag: Option<&str>,
        config: &Config,
        config_dir: &Path,
        no_color: bool,
    ) -> Result<Theme, ConfigError> {
        if no_color {
            return Ok(Theme::monochrome());
        }
        let name = flag.or(config.theme_name()).unwrap_or("default");
        let user = config_dir.join("themes").join(format!("{name}.toml"));
        if user.is_file()
            && let Some(text) = crate::config::read_text(&user)?
        {
            return Theme::parse(name, &user, &text);
        }
        Theme::built_in(name).ok_or_else(|| {
            let reason = format!(
                "no theme '{name}' ({}, or a file {})",
                names(),
                user.display()
            );
            match flag {
                Some(_) => ConfigError {
                    file: "--theme".into(),
                    line: 0,
                    column: 0,
                    reason,
                },
                None => config.theme_error(format!("theme: {reason}")),
            }
        })
    }

    /// A user theme file's text, read from `path`; every error names file, line and column.
    pub fn parse(name: &str, path: &Path, text: &str) -> Result<Theme, ConfigError> {
        let at = |offset: usize, reason: String| ConfigError::at(path, text, offset, reason);
        let file: ThemeFile = parse_toml(path, text)?;
        let base = match &file.extends {
            Some(b) => Some(Theme::built_in(b.get_ref()).ok_or_else(|| {
                at(
                    b.span().start,
                    format!("extends: no built-in theme '{}' ({})", b.get_ref(), names()),
                )
            })?),
            None => Theme::built_in("default"),
        };
        Theme::from_file(name, file, base).map_err(|(offset, reason)| at(offset, reason))
    }

    /// The theme `file` describes over `base`; an error gives the byte offset it is about.
    fn from_file(
        name: &str,
        file: ThemeFile,
        base: Option<Theme>,
    ) -> Result<Theme, (usize, String)> {
        let mut styles = base.map(|b| b.styles).unwrap_or_default();
        for (role, rs) in &file.roles {
            let meaning = Meaning::ALL
                .iter()
                .find(|(_, n)| n == role.get_ref())
                .map(|(m, _)| *m)
                .ok_or_else(|| {
                    (
                        role.span().start,
                        format!("roles.{}: unknown role", role.get_ref()),
                    )
                })?;
            let role = role.get_ref();
            let color = |c: &Option<Spanned<String>>,
                         what: &str|
             -> Result<Option<Color>, (usize, String)> {
                match c {
                    None => Ok(None),
                    Some(c) => {
                        let v = file.palette.get(c.get_ref()).unwrap_or(c.get_ref());
                        Color::from_str(v).map(Some).map_err(|_| {
                            (
                                c.span().start,
                                format!("roles.{role}.{what}: unknown colour '{}'", c.get_ref()),
                            )
                        })
                    }
                }
            };
            let mut style = Style::new();
            if let Some(fg) = color(&rs.fg, "fg")? {
                style = style.fg(fg);
            }
            if let Some(bg) = color(&rs.bg, "bg")? {
                style = style.bg(bg);
            }
            for (on, m) in [
                (rs.bold, Modifier::BOLD),
                (rs.dim, Modifier::DIM),
                (rs.italic, Modifier::ITALIC),
                (rs.underlined, Modifier::UNDERLINED),
                (rs.reversed, Modifier::REVERSED),
            ] {
                if on {
                    style = style.add_modifier(m);
                }
            }
            styles.insert(meaning, style);
        }
        Ok(Theme {
            name: file.name.unwrap_or_else(|| name.to_string()),
            styles,
        })
    }
}

fn names() -> String {
    let n: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
    format!("built-in: {}", n.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_parses_and_defines_every_role() {
        for (name, text) in BUILT_IN {
            let file: ThemeFile = toml::from_str(text).unwrap();
            let t = Theme::from_file(name, file, None).unwrap();
            for (m, role) in Meaning::ALL {
                assert!(t.styles.contains_key(m), "{name} lacks role {role}");
            }
        }
    }

    #[test]
    fn no_color_gives_a_theme_without_colours() {
        let t = Theme::select(
            Some("default"),
            &Config::default(),
            Path::new("/nonexistent"),
            true,
        )
        .unwrap();
        for (m, _) in Meaning::ALL {
            assert_eq!(t.style(*m).fg, None);
            assert_eq!(t.style(*m).bg, None);
        }
    }

    #[test]
    fn an_unknown_theme_names_the_choices() {
        let e = Theme::select(
            Some("neon"),
            &Config::default(),
            Path::new("/nonexistent"),
            false,
        )
        .unwrap_err();
        assert!(e.reason.contains("no theme 'neon'"), "{e}");
        // Given on the command line: named as the option, with no line of any file.
        assert!(e.to_string().starts_with("--theme: no theme 'neon'"), "{e}");
        assert!(e.reason.contains("high-contrast"), "{e}");
    }
}
