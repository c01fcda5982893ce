//! Secrets recognised by their value: a password inside a URL
//! (`postgres://user:hunter2@host/db`), a `password=...` pair of a connection string, a private
//! key, or a token of a well-known shape (AWS access keys, GitHub, Slack, Stripe). Validation
//! refuses such a literal like a secret in a variable whose name says so: the value must be a
//! [`crate::value::SecretRef`] (a URL joins its password in as one, see [`Value::join`]).

use crate::value::Value;

/// Stands for a part of a [`Value::Join`] that is not literal text while the text is inspected:
/// a secret reference (never a literal secret) or a deploy-time value.
const NOT_LITERAL: char = '\u{1}';

/// Why the text of `value` holds a secret, if it does. Only literal text counts: a URL whose
/// password is a [`Value::Secret`] part of a join is fine.
pub fn literal_secret(value: &Value<String>) -> Option<String> {
    let mut text = String::new();
    flatten(value, &mut text);
    literal_secret_in(&text)
}

fn flatten(v: &Value<String>, out: &mut String) {
    match v {
        Value::Lit(s) => out.push_str(s),
        Value::Join(parts) => parts.iter().for_each(|p| flatten(p, out)),
        Value::Attr(_) | Value::Param(_) | Value::Pseudo(_) | Value::Secret(_) => out.push(NOT_LITERAL),
    }
}

/// Why `text` holds a secret, if it does (see the module docs).
pub fn literal_secret_in(text: &str) -> Option<String> {
    if let Some(p) = url_password(text) {
        return Some(format!("a URL carries the password `{}` in the clear", mask(&p)));
    }
    if let Some(p) = key_value_password(text) {
        return Some(format!("a connection string carries the password `{}` in the clear", mask(&p)));
    }
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        return Some("a private key is written in the clear".into());
    }
    token(text).map(|kind| format!("{kind} is written in the clear"))
}

/// `scheme://user:PASSWORD@host...`: the literal password, when there is one.
fn url_password(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let authority_end = after.find(['/', '?', '#', ' ', '\n', '"', '\'']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(at) = authority.rfind('@')
            && let Some((_, password)) = authority[..at].split_once(':')
            && is_literal_password(password)
        {
            return Some(password.to_owned());
        }
        rest = after;
    }
    None
}

/// `password=VALUE` or `pwd=VALUE` (connection strings, query strings), when VALUE is literal.
fn key_value_password(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for key in ["password=", "passwd=", "pwd="] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(key) {
            let start = from + i;
            let at_word_start = start == 0 || !lower.as_bytes()[start - 1].is_ascii_alphanumeric();
            let value_start = start + key.len();
            let value: String =
                text[value_start..].chars().take_while(|c| !matches!(c, ';' | '&' | ' ' | '\n' | '"' | '\'')).collect();
            if at_word_start && is_literal_password(&value) {
                return Some(value);
            }
            from = value_start;
        }
    }
    None
}

/// Not empty, not a placeholder the platform fills in (`${VAR}`, `$(VAR)`, `<...>`, `%s`, `*`).
fn is_literal_password(p: &str) -> bool {
    let placeholder = p.is_empty()
        || p.contains(NOT_LITERAL)
        || p.starts_with(['$', '%'])
        || (p.starts_with('<') && p.ends_with('>'))
        || p.chars().all(|c| matches!(c, '*' | 'x' | 'X'));
    !placeholder
}

/// A token of a well-known shape.
fn token(text: &str) -> Option<&'static str> {
    let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    for w in words {
        let upper_alnum = |s: &str| s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if w.len() == 20 && (w.starts_with("AKIA") || w.starts_with("ASIA")) && upper_alnum(w) {
            return Some("an AWS access key id");
        }
        if ["ghp_", "gho_", "ghs_", "ghu_", "github_pat_"].iter().any(|p| w.starts_with(p)) && w.len() >= 30 {
            return Some("a GitHub token");
        }
        if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"].iter().any(|p| w.starts_with(p)) && w.len() >= 20 {
            return Some("a Slack token");
        }
        if (w.starts_with("sk_live_") || w.starts_with("rk_live_")) && w.len() >= 20 {
            return Some("a Stripe key");
        }
    }
    None
}

/// The first character and the length, never the value.
fn mask(p: &str) -> String {
    let first: String = p.chars().take(1).collect();
    format!("{first}{} ({} characters)", "*".repeat(p.chars().count().saturating_sub(1).min(7)), p.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::SecretRef;

    #[test]
    fn passwords_in_urls_and_connection_strings_are_found() {
        for bad in [
            "postgres://user:hunter2@host/db",
            "postgresql://aquamark:s3cret@db.example.org:5432/aquamark",
            "mysql+pymysql://location:pw@host:3306/location",
            "redis://:token@cache:6379/0",
            "Server=db;Database=app;User Id=sa;Password=hunter2;",
            "jdbc:mysql://db/app?user=app&password=hunter2",
            "AKIAIOSFODNN7EXAMPLE",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ] {
            assert!(literal_secret_in(bad).is_some(), "{bad}");
        }
        let msg = literal_secret_in("postgres://user:hunter2@host/db").unwrap();
        assert!(!msg.contains("hunter2"), "the message never shows the value: {msg}");
    }

    #[test]
    fn urls_without_literal_passwords_are_fine() {
        for ok in [
            "https://github.com/jessecascio/postback-example.git",
            "postgres://user@host/db",
            "redis://redis:6379/0",
            "rediss://cache.example.org:6379/0?ssl_cert_reqs=required",
            "mysql+pymysql://location:${DB_PASSWORD}@mysql:3306/location",
            "http://127.0.0.1:80/nginx_status?auto",
            "password_reset_url=https://example.org/reset",
            "git@github.com:org/repo.git",
        ] {
            assert_eq!(literal_secret_in(ok), None, "{ok}");
        }
        let joined = Value::join([
            Value::from("postgresql://aquamark:"),
            Value::Secret(SecretRef::ssm("/db/password").url_encoded()),
            Value::from("@db:5432/aquamark"),
        ]);
        assert_eq!(literal_secret(&joined), None, "the password is a secret reference");
        let leaked = Value::join([Value::from("postgresql://aquamark:hunter2@"), Value::from("db:5432/aquamark")]);
        assert!(literal_secret(&leaked).is_some());
    }
}

#[cfg(test)]
mod validation_tests {
    use crate::app::{Container, HostConfig, HostFile};
    use crate::diag::Code;
    use crate::workload::{App, Service, validate_app};

    #[test]
    fn hosts_and_apps_refuse_a_password_in_a_literal_url() {
        let url = "postgres://user:hunter2@host/db";
        let host = HostConfig {
            name: "web".into(),
            containers: vec![Container::new("web", "example/web:1.0").with_env("DATABASE_URL", url)],
            files: vec![HostFile { path: "/etc/app.conf".into(), mode: 0o600, content: format!("db = {url}\n") }],
            ..HostConfig::default()
        };
        let found: Vec<(Code, String)> =
            crate::app::setup_problems(&host).into_iter().map(|p| (p.code, p.property)).collect();
        assert!(
            found.contains(&(Code::LiteralSecretValue, "UserData.Containers.web.Env.DATABASE_URL".into())),
            "{found:?}"
        );
        assert!(found.contains(&(Code::LiteralSecretValue, "UserData.Files[0].Content".into())), "{found:?}");
        let app = App::new("shop").service(Service::new(host.containers[0].clone()));
        let d = validate_app("demo", &app, &|_| true);
        assert!(d.iter().any(|d| d.code == Code::LiteralSecretValue && !d.message.contains("hunter2")), "{d:?}");
    }
}
