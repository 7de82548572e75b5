//! track_file's I/O: `init_file` at start, the files' values read at start and whenever inotify
//! says their directory saw them written (IN_CLOSE_WRITE), moved in or out, or deleted (as
//! keepalived 2.2.7 watches: the directory, so a file that appears later is seen), on a thread
//! of its own; values go to the event loop as `TrackerReport`s for `Node::set_tracker`. No
//! polling. The rules (what a file's bytes are worth, what init_file does) are the node
//! layer's `track_file` module.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::config::model::VrrpTrackFile;
use crate::node::track_file::{init_file, parse_value, InitFile};
use crate::node::{TrackerId, TrackerKind, TrackerState};

use super::track_script::TrackerReport;

/// `init_file` of every track_file block (keepalived does it for each block it reads, used or
/// not); `reloading`: a file already there is never overwritten.
pub fn init_files(files: &[VrrpTrackFile], reloading: bool) {
    for f in files {
        let Some((value, overwrite)) = f.init_file else {
            continue;
        };
        let existing = std::fs::metadata(&f.file).ok().map(|m| m.is_file());
        match init_file(value, overwrite, existing, reloading) {
            InitFile::Leave => {}
            InitFile::NotRegular => tracing::error!(
                "Cannot initialise track file {} - {} is not a regular file",
                f.name,
                f.file.display()
            ),
            InitFile::Write(v) => {
                if let Err(e) = std::fs::write(&f.file, format!("{v}\n")) {
                    tracing::error!(
                        "Unable to initialise track file {} ({}): {e}",
                        f.name,
                        f.file.display()
                    );
                }
            }
        }
    }
}

/// One watched file: its block, where it really is, and the last value reported.
struct Watched {
    name: String,
    path: PathBuf,
    /// The inotify watch of its directory, and its name there.
    wd: libc::c_int,
    file_name: Vec<u8>,
    last: Option<i64>,
}

impl Watched {
    /// Read the file now (missing or empty: 0, as keepalived); None: an out-of-range number,
    /// ignored.
    fn read(&self) -> Option<i64> {
        let mut buf = Vec::new();
        match std::fs::File::open(&self.path) {
            Ok(f) => {
                if f.take(127).read_to_end(&mut buf).is_err() {
                    buf.clear();
                }
            }
            Err(_) => return Some(0),
        }
        let v = parse_value(&buf);
        if v.is_none() {
            tracing::info!(
                "Invalid number read from {} - ignoring",
                self.path.display()
            );
        }
        v
    }

    /// A new value: reported (and logged) when it differs from the last.
    fn set(&mut self, v: i64, tx: &mpsc::UnboundedSender<TrackerReport>) -> bool {
        if self.last == Some(v) {
            return true;
        }
        if self.last.is_some() {
            tracing::info!("track_file {}: value {v}", self.name);
        }
        self.last = Some(v);
        tx.send(TrackerReport {
            tracker: TrackerId::new(TrackerKind::File, self.name.clone()),
            state: TrackerState::Value(v),
        })
        .is_ok()
    }
}

/// Where keepalived watches a track file: the resolved file if it exists, else the file's name
/// in its resolved directory. Err: the block is dropped (the message says why).
fn resolve(f: &VrrpTrackFile) -> Result<PathBuf, String> {
    match std::fs::canonicalize(&f.file) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let dir = match f.file.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let file_name = f.file.file_name().ok_or_else(|| {
                format!("track file {} ({}) names no file", f.name, f.file.display())
            })?;
            match std::fs::canonicalize(dir) {
                Ok(d) if d.is_dir() => Ok(d.join(file_name)),
                _ => Err(format!(
                    "Track file directory for {} ({}) does not exist - removing",
                    f.name,
                    dir.display()
                )),
            }
        }
        Err(e) => Err(format!(
            "track file {} ({}) is not accessible - ignoring ({e})",
            f.name,
            f.file.display()
        )),
    }
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// The watching thread; dropping it stops the thread.
pub struct FileTrackers {
    stop: Option<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

impl FileTrackers {
    /// Nothing watched.
    pub fn none() -> FileTrackers {
        FileTrackers {
            stop: None,
            thread: None,
        }
    }

    /// Watch `files` (the blocks running instances track): every value is read and reported
    /// on `tx` before this returns, so the instances start with them.
    pub fn start(
        files: &[VrrpTrackFile],
        tx: &mpsc::UnboundedSender<TrackerReport>,
    ) -> FileTrackers {
        if files.is_empty() {
            return FileTrackers::none();
        }
        match Self::try_start(files, tx) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!("Unable to monitor track files: {e}");
                FileTrackers::none()
            }
        }
    }

    fn try_start(
        files: &[VrrpTrackFile],
        tx: &mpsc::UnboundedSender<TrackerReport>,
    ) -> io::Result<FileTrackers> {
        // SAFETY: inotify_init1 / eventfd; owned at once.
        let ino = cvt(unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) })
            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })?;
        let stop = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })
            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })?;
        let mut watched = Vec::new();
        for f in files {
            let path = match resolve(f) {
                Ok(p) => p,
                Err(why) => {
                    tracing::error!("{why}");
                    continue;
                }
            };
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let Ok(c_dir) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
                continue;
            };
            // SAFETY: a watch on a NUL-terminated path.
            let wd = unsafe {
                libc::inotify_add_watch(
                    ino.as_raw_fd(),
                    c_dir.as_ptr(),
                    libc::IN_CLOSE_WRITE | libc::IN_DELETE | libc::IN_MOVE,
                )
            };
            if wd < 0 {
                tracing::error!(
                    "track_file {}: cannot watch {}: {}",
                    f.name,
                    dir.display(),
                    io::Error::last_os_error()
                );
                continue;
            }
            let mut w = Watched {
                name: f.name.clone(),
                file_name: name.as_bytes().to_vec(),
                path,
                wd,
                last: None,
            };
            let v = w.read().unwrap_or(0);
            w.set(v, tx);
            tracing::info!(
                "track_file {}: watching {} (value {v})",
                w.name,
                w.path.display()
            );
            watched.push(w);
        }
        let stop_fd = stop.as_raw_fd();
        let tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name("track_file".into())
            .spawn(move || run(ino, stop_fd, watched, tx))?;
        Ok(FileTrackers {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for FileTrackers {
    fn drop(&mut self) {
        if let Some(stop) = &self.stop {
            let one: u64 = 1;
            // SAFETY: an 8-byte write to our eventfd.
            unsafe {
                libc::write(
                    stop.as_raw_fd(),
                    &one as *const u64 as *const libc::c_void,
                    8,
                );
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `struct inotify_event`: wd, mask, cookie, len, then `len` bytes of NUL-padded name.
const EVENT_HEADER: usize = 16;

/// The events in one read: (wd, mask, name).
fn events(buf: &[u8]) -> Vec<(libc::c_int, u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + EVENT_HEADER <= buf.len() {
        let word = |i: usize| {
            let s = &buf[at + i..at + i + 4];
            u32::from_ne_bytes([s[0], s[1], s[2], s[3]])
        };
        let (wd, mask, len) = (word(0) as libc::c_int, word(4), word(12) as usize);
        let Some(name) = buf.get(at + EVENT_HEADER..at + EVENT_HEADER + len) else {
            break;
        };
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        out.push((wd, mask, &name[..end]));
        at += EVENT_HEADER + len;
    }
    out
}

fn run(
    ino: OwnedFd,
    stop: libc::c_int,
    mut watched: Vec<Watched>,
    tx: mpsc::UnboundedSender<TrackerReport>,
) {
    // Started before the event loop drops what vrrpd does not need (capabilities are per
    // thread): inotify and reading the files need none of it.
    if let Err(e) = super::privileges::drop_unneeded() {
        tracing::warn!("track_file thread: cannot drop capabilities: {e}");
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut p = [
            libc::pollfd {
                fd: ino.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: stop,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: poll over our array.
        let r = unsafe { libc::poll(p.as_mut_ptr(), 2, -1) };
        if r < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if p[1].revents != 0 {
            return;
        }
        loop {
            // SAFETY: read into our buffer.
            let n = unsafe {
                libc::read(
                    ino.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                )
            };
            if n <= 0 {
                break;
            }
            for (wd, mask, name) in events(&buf[..n as usize]) {
                if mask & libc::IN_Q_OVERFLOW != 0 {
                    // Events lost: read every file again.
                    for w in &mut watched {
                        if let Some(v) = w.read() {
                            if !w.set(v, &tx) {
                                return;
                            }
                        }
                    }
                    continue;
                }
                if mask & libc::IN_ISDIR != 0 {
                    continue;
                }
                for w in watched
                    .iter_mut()
                    .filter(|w| w.wd == wd && w.file_name == name)
                {
                    let v = if mask & (libc::IN_DELETE | libc::IN_MOVED_FROM) != 0 {
                        // Gone: as though it held 0.
                        Some(0)
                    } else {
                        w.read()
                    };
                    if let Some(v) = v {
                        if !w.set(v, &tx) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inotify_records_decode_and_cut_ones_stop() {
        let mut b = Vec::new();
        for (wd, mask, name) in [
            (1i32, libc::IN_CLOSE_WRITE, &b"prio"[..]),
            (2, libc::IN_DELETE, b"x"),
        ] {
            b.extend_from_slice(&wd.to_ne_bytes());
            b.extend_from_slice(&mask.to_ne_bytes());
            b.extend_from_slice(&0u32.to_ne_bytes());
            b.extend_from_slice(&16u32.to_ne_bytes());
            let mut n = name.to_vec();
            n.resize(16, 0);
            b.extend_from_slice(&n);
        }
        let ev = events(&b);
        assert_eq!(
            ev,
            vec![
                (1, libc::IN_CLOSE_WRITE, &b"prio"[..]),
                (2, libc::IN_DELETE, &b"x"[..])
            ]
        );
        assert_eq!(events(&b[..40]).len(), 1);
        assert!(events(&b[..10]).is_empty());
    }

    #[test]
    fn a_file_in_a_missing_directory_is_dropped() {
        let f = VrrpTrackFile {
            name: "F".into(),
            span: Default::default(),
            file: "/nonexistent-dir-for-vrrpd-test/prio".into(),
            weight: 1,
            reverse: false,
            init_file: None,
        };
        assert!(resolve(&f).unwrap_err().contains("does not exist"));
        let here = VrrpTrackFile {
            file: std::env::temp_dir().join("vrrpd-missing-file-test"),
            ..f
        };
        assert!(resolve(&here).is_ok());
    }
}
