//! A blocking client of the control socket (vrrpctl is a short-lived synchronous program).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::proto::{Cmd, ErrorBody, Reply, Request, MAX_LINE};
use super::snapshot::Event;

/// How long a reply may take before the client gives up (the daemon answers in microseconds;
/// this only bounds a wedged one).
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest reply line accepted (a status of thousands of instances fits).
const MAX_REPLY: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No socket file, or nobody listening on it.
    #[error("vrrpd is not running (no socket at {})", .0.display())]
    NotRunning(PathBuf),
    #[error("no permission to use the control socket {} (run as root or as a member of its group)", .0.display())]
    Permission(PathBuf),
    #[error("control socket {path}: {1}", path = .0.display())]
    Io(PathBuf, std::io::Error),
    #[error("control socket {path}: unexpected reply: {1}", path = .0.display())]
    Protocol(PathBuf, String),
    /// The daemon answered with an error.
    #[error("vrrpd refused: {}", .0.message)]
    Remote(ErrorBody),
}

/// One connection to vrrpd.
pub struct Client {
    path: PathBuf,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    pub fn connect(path: &Path) -> Result<Client, ClientError> {
        let stream = UnixStream::connect(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                ClientError::NotRunning(path.to_path_buf())
            }
            std::io::ErrorKind::PermissionDenied => ClientError::Permission(path.to_path_buf()),
            _ => ClientError::Io(path.to_path_buf(), e),
        })?;
        let io = |e| ClientError::Io(path.to_path_buf(), e);
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(REPLY_TIMEOUT)).map_err(io)?;
        let writer = stream.try_clone().map_err(io)?;
        Ok(Client {
            path: path.to_path_buf(),
            reader: BufReader::new(stream),
            writer,
        })
    }

    fn io(&self, e: std::io::Error) -> ClientError {
        ClientError::Io(self.path.clone(), e)
    }

    fn read_line(&mut self) -> Result<Option<String>, ClientError> {
        let mut line = String::new();
        let n = (&mut self.reader)
            .take(MAX_REPLY as u64)
            .read_line(&mut line)
            .map_err(|e| ClientError::Io(self.path.clone(), e))?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(line))
    }

    /// Send one request and read its reply; an error reply becomes `ClientError::Remote`.
    pub fn request(&mut self, cmd: Cmd) -> Result<Reply, ClientError> {
        let mut line = serde_json::to_string(&Request::new(cmd))
            .map_err(|e| ClientError::Protocol(self.path.clone(), e.to_string()))?;
        if line.len() >= MAX_LINE {
            return Err(ClientError::Protocol(
                self.path.clone(),
                format!("request longer than {MAX_LINE} bytes"),
            ));
        }
        line.push('\n');
        self.writer
            .write_all(line.as_bytes())
            .map_err(|e| self.io(e))?;
        let Some(text) = self.read_line()? else {
            return Err(ClientError::Protocol(
                self.path.clone(),
                "the daemon closed the connection".into(),
            ));
        };
        let reply: Reply = serde_json::from_str(&text)
            .map_err(|e| ClientError::Protocol(self.path.clone(), e.to_string()))?;
        match (reply.ok, reply.error.clone()) {
            (false, Some(e)) => Err(ClientError::Remote(e)),
            (false, None) => Err(ClientError::Protocol(
                self.path.clone(),
                "error reply without an error".into(),
            )),
            (true, _) => Ok(reply),
        }
    }

    /// Subscribe to the event stream; the returned iterator blocks for each event and ends
    /// when the daemon goes away.
    pub fn watch(mut self) -> Result<Events, ClientError> {
        self.request(Cmd::Watch)?;
        // Events come when they happen: no read timeout from here on.
        self.reader
            .get_ref()
            .set_read_timeout(None)
            .map_err(|e| ClientError::Io(self.path.clone(), e))?;
        Ok(Events { client: self })
    }
}

/// The `watch` stream.
pub struct Events {
    client: Client,
}

impl Iterator for Events {
    type Item = Result<Event, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.client.read_line() {
            Ok(None) => None,
            Ok(Some(line)) => Some(
                serde_json::from_str(&line)
                    .map_err(|e| ClientError::Protocol(self.client.path.clone(), e.to_string())),
            ),
            Err(e) => Some(Err(e)),
        }
    }
}
