//! The `WWW-Authenticate` challenge a registry answers `/v2/` with, and the token request it asks for.

/// What `/v2/` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// Token auth (Docker Hub and most mirrors): fetch a token from `realm`, which may be another host.
    Bearer {
        realm: String,
        service: Option<String>,
    },
    /// The mirror wants a username and password: anonymous pulls will not work.
    Basic {
        realm: Option<String>,
    },
    Other(String),
}

/// Parses `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"` (RFC 7235 auth-params,
/// quoted or not, in any order, scheme case-insensitive).
pub fn parse_challenge(header: &str) -> Challenge {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" => match get("realm") {
            Some(realm) => Challenge::Bearer {
                realm,
                service: get("service"),
            },
            None => Challenge::Other(header.to_owned()),
        },
        "basic" => Challenge::Basic {
            realm: get("realm"),
        },
        _ => Challenge::Other(header.to_owned()),
    }
}

fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if name.is_empty() {
            return out;
        }
        if chars.next() != Some('=') {
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.push((name.trim().to_owned(), value));
    }
}

/// The token endpoint's answer: Docker Hub sends `token`, OAuth-style servers `access_token`.
#[derive(Debug, serde::Deserialize)]
pub struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

impl TokenResponse {
    pub fn into_token(self) -> Option<String> {
        self.token.or(self.access_token).filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#
            ),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
    }

    #[test]
    fn odd_but_legal_challenges() {
        assert_eq!(
            parse_challenge(
                r#"bearer service="a,b" , realm=https://t.example/token, scope="repository:x:pull""#
            ),
            Challenge::Bearer {
                realm: "https://t.example/token".into(),
                service: Some("a,b".into())
            }
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Challenge::Basic {
                realm: Some("Registry Realm".into())
            }
        );
        assert!(matches!(
            parse_challenge("Bearer service=x"),
            Challenge::Other(_)
        ));
        assert!(matches!(parse_challenge("Negotiate"), Challenge::Other(_)));
    }

    #[test]
    fn token_field_names() {
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(t.into_token().as_deref(), Some("abc"));
        let t: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(t.into_token(), None);
    }
}
