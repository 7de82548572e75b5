//! smtp_alert: the mail keepalived 2.2.7 sends on a transition (core/smtp.c, vrrp_notify.c),
//! sent in the background by lettre's SMTP client on a blocking thread, so a slow or dead
//! server never holds the event loop. Subject `[ROUTER_ID] VRRP Instance NAME - Entering
//! MASTER state` (`VRRP Group` for a sync group), one body line, keepalived's headers (Date,
//! From, Subject, X-Mailer: Keepalived, To), HELO name, sender and timeout from global_defs.
//! No mail without notification_email and smtp_server, as in keepalived.

use std::time::Duration;

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::extension::ClientId;
use lettre::Transport;

use crate::config::model::GlobalDefs;

use super::notify::{NotifyState, Subject};

/// Where and how alerts are sent (global_defs), with keepalived's defaults resolved.
#[derive(Debug, Clone)]
pub struct Mailer {
    server: String,
    port: u16,
    helo: String,
    from: String,
    to: Vec<String>,
    timeout: Duration,
    router_id: String,
    /// `no_email_faults`: no mail for FAULT (vrrp_smtp_notifier's check, groups too).
    no_email_faults: bool,
}

/// keepalived's subject tail and body line for an instance or a group entering `state`
/// (None: no mail for it).
pub fn text(subject: Subject, state: NotifyState) -> Option<(&'static str, &'static str)> {
    use NotifyState::*;
    Some(match (subject, state) {
        (Subject::Instance, Master) => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        (Subject::Instance, Backup) => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (Subject::Instance, Fault) => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (Subject::Instance, Stop) => ("Stopping", "=> VRRP Instance stopping <="),
        (Subject::Instance, Deleted) => ("Deleted", "=> VRRP Deleted at reload <="),
        (Subject::Group, Master) => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        (Subject::Group, Backup) => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        (Subject::Group, Fault) => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        (Subject::Group, Stop) => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        (Subject::Group, Deleted) => return None,
    })
}

/// keepalived's local_name (uname's node name), "[unknown]" when there is none.
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most len bytes into our buffer.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if r != 0 || n == 0 {
        return "[unknown]".into();
    }
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// The date as keepalived writes it: local time, `%a, %d %b %Y %H:%M:%S %z`.
fn rfc822_now() -> String {
    let mut buf = [0u8; 80];
    // SAFETY: time/localtime_r/strftime on local buffers; strftime bounds its output.
    let n = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return String::new();
        }
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a, %d %b %Y %H:%M:%S %z".as_ptr(),
            &tm,
        )
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

impl Mailer {
    /// A mailer when global_defs has recipients and a server (else keepalived sends nothing).
    pub fn from_global(g: &GlobalDefs) -> Option<Mailer> {
        let server = g.smtp_server.clone()?;
        if g.notification_email.is_empty() {
            return None;
        }
        let host = host_name();
        let user = nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map_or_else(|| "root".to_string(), |u| u.name);
        Some(Mailer {
            server,
            port: g.smtp_port,
            helo: g.smtp_helo_name.clone().unwrap_or_else(|| host.clone()),
            from: g
                .notification_email_from
                .clone()
                .unwrap_or_else(|| format!("{user}@{host}")),
            to: g.notification_email.clone(),
            timeout: g.smtp_connect_timeout.unwrap_or(Duration::from_secs(30)),
            router_id: g.router_id.clone().unwrap_or(host),
            no_email_faults: g.no_email_faults,
        })
    }

    /// The subject keepalived writes.
    pub fn subject(&self, subject: Subject, name: &str, tail: &str) -> String {
        let what = match subject {
            Subject::Instance => "VRRP Instance",
            Subject::Group => "VRRP Group",
        };
        format!("[{}] {what} {name} - {tail}", self.router_id)
    }

    /// The message as keepalived's body_cmd writes it (headers, blank line, body line).
    pub fn message(&self, subject: &str, body: &str) -> String {
        format!(
            "Date: {}\r\nFrom: {}\r\nSubject: {subject}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n{body}\r\n",
            rfc822_now(),
            self.from,
            self.to.join(", ")
        )
    }

    /// Send the alert for `name` entering `state` in the background; the result is logged.
    pub fn alert(
        &self,
        subject: Subject,
        name: &str,
        state: NotifyState,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if self.no_email_faults && state == NotifyState::Fault {
            return None;
        }
        let (tail, body) = text(subject, state)?;
        let subj = self.subject(subject, name, tail);
        let msg = self.message(&subj, body);
        let m = self.clone();
        Some(tokio::task::spawn_blocking(move || match m.send(&msg) {
            Ok(()) => tracing::info!("SMTP alert successfully sent: {subj}"),
            Err(e) => tracing::warn!(
                "Error sending SMTP alert to {}:{} ({subj}): {e}",
                m.server,
                m.port
            ),
        }))
    }

    fn send(&self, msg: &str) -> Result<(), String> {
        let from: Address = self
            .from
            .parse()
            .map_err(|e| format!("notification_email_from {}: {e}", self.from))?;
        let to: Vec<Address> = self
            .to
            .iter()
            .filter_map(|t| match t.parse() {
                Ok(a) => Some(a),
                Err(e) => {
                    tracing::warn!("notification_email {t}: {e}; skipped");
                    None
                }
            })
            .collect();
        let envelope = Envelope::new(Some(from), to).map_err(|e| e.to_string())?;
        let transport = lettre::SmtpTransport::builder_dangerous(self.server.as_str())
            .port(self.port)
            .hello_name(ClientId::Domain(self.helo.clone()))
            .timeout(Some(self.timeout))
            .build();
        transport
            .send_raw(&envelope, msg.as_bytes())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_and_headers_as_keepalived() {
        let g = GlobalDefs {
            router_id: Some("LB1".into()),
            smtp_server: Some("192.0.2.1".into()),
            notification_email: vec!["a@example.com".into(), "b@example.com".into()],
            notification_email_from: Some("ka@example.com".into()),
            ..Default::default()
        };
        let m = Mailer::from_global(&g).unwrap();
        let (tail, body) = text(Subject::Instance, NotifyState::Master).unwrap();
        let s = m.subject(Subject::Instance, "VI_1", tail);
        assert_eq!(s, "[LB1] VRRP Instance VI_1 - Entering MASTER state");
        let msg = m.message(&s, body);
        assert!(msg.contains("\r\nFrom: ka@example.com\r\nSubject: [LB1] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\nTo: a@example.com, b@example.com\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n"), "{msg}");
        assert!(msg.starts_with("Date: "));
        let (tail, _) = text(Subject::Group, NotifyState::Stop).unwrap();
        assert_eq!(
            m.subject(Subject::Group, "SG1", tail),
            "[LB1] VRRP Group SG1 - Stopping"
        );
        assert!(text(Subject::Group, NotifyState::Deleted).is_none());
        // No recipients, or no server: no mail (keepalived's smtp_alert returns at once).
        assert!(Mailer::from_global(&GlobalDefs {
            notification_email: vec![],
            ..g.clone()
        })
        .is_none());
    }
}
