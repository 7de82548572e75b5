//! The wire protocol of the control socket: one JSON object a line each way. A request is
//! `{"v":1,"cmd":"status", ...arguments}`; every reply carries `ok`, and a failed one a typed
//! `error` (`{"code":"permission-denied","message":"..."}`) whose codes are stable.

use serde::{Deserialize, Serialize};

use super::snapshot::{InstanceSnapshot, NodeStats};

/// The protocol version this build speaks; a request with another `v` is refused.
pub const PROTOCOL_VERSION: u32 = 1;
/// Longest request line the server reads (bytes, newline included); longer is an error.
pub const MAX_LINE: usize = 4096;

/// One request line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub cmd: Cmd,
}

impl Request {
    pub fn new(cmd: Cmd) -> Request {
        Request {
            v: PROTOCOL_VERSION,
            cmd,
        }
    }
}

/// What a request asks. An empty `instances` list means every instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Cmd {
    Status {
        #[serde(default)]
        instances: Vec<String>,
    },
    Stats {
        #[serde(default)]
        instances: Vec<String>,
    },
    ClearStats {
        #[serde(default)]
        instances: Vec<String>,
    },
    Reload,
    Demote {
        #[serde(default)]
        instances: Vec<String>,
        #[serde(default)]
        all: bool,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        force: bool,
    },
    Restore {
        #[serde(default)]
        instances: Vec<String>,
        #[serde(default)]
        all: bool,
    },
    /// A stream of [`super::Event`] lines follows the first reply, until the client hangs up.
    Watch,
}

/// Every command name, for the "unknown command" error.
pub const COMMANDS: &[&str] = &[
    "status",
    "stats",
    "clear-stats",
    "reload",
    "demote",
    "restore",
    "watch",
];

impl Cmd {
    /// Whether the command changes the daemon (only uid 0 or the socket's owner may send it).
    pub fn is_mutating(&self) -> bool {
        matches!(
            self,
            Cmd::ClearStats { .. } | Cmd::Reload | Cmd::Demote { .. } | Cmd::Restore { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Cmd::Status { .. } => "status",
            Cmd::Stats { .. } => "stats",
            Cmd::ClearStats { .. } => "clear-stats",
            Cmd::Reload => "reload",
            Cmd::Demote { .. } => "demote",
            Cmd::Restore { .. } => "restore",
            Cmd::Watch => "watch",
        }
    }
}

/// Why a request failed; the kebab-case names are the stable `error.code` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// Not JSON, not an object, or arguments of the wrong shape.
    BadRequest,
    UnsupportedVersion,
    UnknownCommand,
    /// A mutating request from a uid that is neither 0 nor the socket's owner.
    PermissionDenied,
    /// The request line is longer than [`MAX_LINE`].
    TooLarge,
    /// More requests than the per-connection rate allows.
    RateLimited,
    /// Too many connections at once.
    Busy,
    UnknownInstance,
    /// The daemon understood the request but refuses it (e.g. demote with no peer heard).
    Refused,
    /// The daemon cannot do this yet (e.g. reload before reload support lands).
    NotSupported,
    /// The daemon is stopping or did not answer in time.
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::UnsupportedVersion => "unsupported-version",
            ErrorCode::UnknownCommand => "unknown-command",
            ErrorCode::PermissionDenied => "permission-denied",
            ErrorCode::TooLarge => "too-large",
            ErrorCode::RateLimited => "rate-limited",
            ErrorCode::Busy => "busy",
            ErrorCode::UnknownInstance => "unknown-instance",
            ErrorCode::Refused => "refused",
            ErrorCode::NotSupported => "not-supported",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// One reply line. Which optional fields are present depends on the command: `instances` for
/// status and stats, `changed` for clear-stats, demote and restore, `message` for a note.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<InstanceSnapshot>>,
    /// With `instances` from vrrpd: the node-wide counters (unknown VRIDs, scripts, groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Box<NodeStats>>,
    /// Names of the instances the request changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply {
            ok: true,
            ..Reply::default()
        }
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            error: Some(ErrorBody {
                code,
                message: message.into(),
            }),
            ..Reply::default()
        }
    }

    pub fn with_instances(instances: Vec<InstanceSnapshot>) -> Reply {
        Reply {
            instances: Some(instances),
            ..Reply::ok()
        }
    }

    pub fn with_changed(changed: Vec<String>) -> Reply {
        Reply {
            changed: Some(changed),
            ..Reply::ok()
        }
    }

    /// The reply as one line, newline included.
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_else(|e| {
            // Serializing these plain structs cannot fail; keep the protocol alive if it does.
            format!(r#"{{"ok":false,"error":{{"code":"bad-request","message":"{e}"}}}}"#)
        });
        s.push('\n');
        s
    }
}

/// Parse one request line, telling apart the ways it can be wrong.
pub fn parse_request(line: &str) -> Result<Request, Reply> {
    let value: serde_json::Value = serde_json::from_str(line.trim()).map_err(|e| {
        Reply::error(
            ErrorCode::BadRequest,
            format!("a request is one JSON object a line: {e}"),
        )
    })?;
    let Some(obj) = value.as_object() else {
        return Err(Reply::error(
            ErrorCode::BadRequest,
            "a request is a JSON object such as {\"v\":1,\"cmd\":\"status\"}",
        ));
    };
    match obj.get("v").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(Reply::error(
                ErrorCode::UnsupportedVersion,
                format!(
                    "protocol version {v} is not supported; this vrrpd speaks v{PROTOCOL_VERSION}"
                ),
            ))
        }
        None => {
            return Err(Reply::error(
                ErrorCode::BadRequest,
                format!("the request has no protocol version; add \"v\":{PROTOCOL_VERSION}"),
            ))
        }
    }
    let cmd = obj.get("cmd").and_then(serde_json::Value::as_str);
    match cmd {
        Some(c) if COMMANDS.contains(&c) => {}
        Some(c) => {
            return Err(Reply::error(
                ErrorCode::UnknownCommand,
                format!("unknown command {c:?}; known: {}", COMMANDS.join(", ")),
            ))
        }
        None => {
            return Err(Reply::error(
                ErrorCode::BadRequest,
                "the request has no \"cmd\" string",
            ))
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Reply::error(ErrorCode::BadRequest, format!("bad arguments: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &str) -> ErrorCode {
        parse_request(line).unwrap_err().error.unwrap().code
    }

    #[test]
    fn requests_round_trip() {
        let reqs = [
            Request::new(Cmd::Status {
                instances: vec!["VI_1".into()],
            }),
            Request::new(Cmd::Reload),
            Request::new(Cmd::Watch),
            Request::new(Cmd::Demote {
                instances: vec![],
                all: true,
                reason: Some("kernel upgrade".into()),
                force: false,
            }),
        ];
        for r in reqs {
            let line = serde_json::to_string(&r).unwrap();
            assert_eq!(parse_request(&line).unwrap(), r, "{line}");
        }
        assert_eq!(
            parse_request(r#"{"v":1,"cmd":"status"}"#).unwrap().cmd,
            Cmd::Status { instances: vec![] }
        );
    }

    #[test]
    fn bad_requests_get_typed_errors() {
        assert_eq!(code("garbage"), ErrorCode::BadRequest);
        assert_eq!(code("[1,2]"), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"cmd":"status"}"#), ErrorCode::BadRequest);
        assert_eq!(
            code(r#"{"v":2,"cmd":"status"}"#),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(r#"{"v":1,"cmd":"explode"}"#),
            ErrorCode::UnknownCommand
        );
        assert_eq!(
            code(r#"{"v":1,"cmd":"status","instances":7}"#),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(r#"{"v":1,"cmd":"status","bogus":1}"#),
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn mutating_commands() {
        assert!(!Cmd::Status { instances: vec![] }.is_mutating());
        assert!(!Cmd::Watch.is_mutating());
        assert!(Cmd::Reload.is_mutating());
        assert!(Cmd::ClearStats { instances: vec![] }.is_mutating());
    }

    #[test]
    fn reply_lines_end_in_newline_and_parse() {
        let line = Reply::error(ErrorCode::PermissionDenied, "no").to_line();
        assert!(line.ends_with('\n'));
        let r: Reply = serde_json::from_str(&line).unwrap();
        assert_eq!(r.error.unwrap().code, ErrorCode::PermissionDenied);
        assert!(line.contains("\"permission-denied\""));
    }
}
