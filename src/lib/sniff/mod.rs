//! Capture sources (live via pnet, pcap/pcapng files) -> wire decode -> renderers (tcpdump-like
//! text, JSON lines) and a per-VRID summary (split brain, mismatches between speakers).
//!
//! [`run`] is the whole of `vrrpctl sniff` minus the command line: it reads frames, decodes
//! them, filters, renders into a buffer that it flushes to the caller's writer, optionally
//! writes the frames it showed to a pcap, and returns the summary.

pub mod any;
pub mod decode;
pub mod fmt;
pub mod link;
pub mod render;
pub mod source;
pub mod stop;
pub mod summary;
pub mod writer;

use std::collections::HashSet;
use std::io::Write;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::PathBuf;

pub use decode::{decode, Event, Undecoded, UndecodedReason, VrrpPacket};
pub use source::{Frame, SourceSpec, Timestamp};
pub use summary::{Report, Summary};

/// Why a sniff run could not start or go on. Malformed packets are never errors: they are
/// shown and flagged.
#[derive(Debug, thiserror::Error)]
pub enum SniffError {
    #[error("no such interface: {0} (see `ip link` for the names on this host)")]
    NoSuchInterface(String),
    #[error("cannot capture on {0}: permission denied; run as root or grant CAP_NET_RAW")]
    Permission(String),
    #[error("cannot capture on {iface}: {reason}")]
    Capture { iface: String, reason: String },
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{path} is not a pcap or pcapng file")]
    NotPcap { path: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// What to read, what to show and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub source: SourceSpec,
    pub write: Option<PathBuf>,
    /// Stop after this many VRRP packets (malformed ones included, GARP/NA not).
    pub count: Option<u64>,
    pub vrid: Option<u8>,
    pub verbose: bool,
    pub json: bool,
    pub summary: bool,
}

/// Flush the render buffer once it holds this much (file sources); live capture flushes
/// after every line so a watching operator sees it at once.
const FLUSH_AT: usize = 1 << 16;

/// Run a capture to its end (source exhausted, `count` reached, or Ctrl-C) and return the
/// summary. Lines go to `out`; `paint` colors text output.
pub fn run(
    opts: &Options,
    out: &mut dyn Write,
    paint: render::Paint<'_>,
) -> Result<Report, SniffError> {
    run_with_progress(opts, out, paint, &mut |_| {})
}

/// Report the bytes read from a file source about this often (in frames): often enough for a
/// smooth bar, rarely enough to cost nothing.
const PROGRESS_EVERY: u32 = 256;

/// [`run`] that calls `progress` now and then with the bytes of a file source read so far.
pub fn run_with_progress(
    opts: &Options,
    out: &mut dyn Write,
    paint: render::Paint<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Report, SniffError> {
    stop::install();
    let mut writer = match &opts.write {
        Some(p) => Some(writer::FrameWriter::create(p)?),
        None => None,
    };
    let live = matches!(opts.source, SourceSpec::Live(_));
    let mut summary = Summary::default();
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + 4096);
    // With --vrid, takeover announcements are shown for the addresses that VRID advertised.
    let mut vrid_addresses: HashSet<IpAddr> = HashSet::new();
    let mut seen: u64 = 0;
    let mut failure: Option<SniffError> = None;
    let consumed = std::cell::Cell::new(0u64);
    let mut frames_since_progress = 0u32;
    let mut on_frame = |frame: Frame<'_>| -> ControlFlow<()> {
        frames_since_progress += 1;
        if frames_since_progress >= PROGRESS_EVERY {
            frames_since_progress = 0;
            progress(consumed.get());
        }
        let Some(ev) = decode(&frame) else {
            return ControlFlow::Continue(());
        };
        let counts = match &ev {
            Event::Vrrp(p) => {
                if let Some(v) = opts.vrid {
                    if p.parsed.advert.vrid != v {
                        return ControlFlow::Continue(());
                    }
                    vrid_addresses.extend(p.parsed.advert.addresses.iter().copied());
                }
                summary.record(p);
                true
            }
            Event::Garp { ts, arp } => {
                if opts.vrid.is_some() && !vrid_addresses.contains(&IpAddr::V4(arp.sender_ip)) {
                    return ControlFlow::Continue(());
                }
                summary.record_garp(*ts, IpAddr::V4(arp.sender_ip), arp.sender_mac);
                false
            }
            Event::Na { ts, na, .. } => {
                if opts.vrid.is_some() && !vrid_addresses.contains(&IpAddr::V6(na.target)) {
                    return ControlFlow::Continue(());
                }
                summary.record_na(*ts, IpAddr::V6(na.target), na.target_mac);
                false
            }
            Event::Malformed(_) => {
                summary.record_malformed();
                true
            }
            // Which VRID an undecodable record belongs to cannot be known.
            Event::Undecoded(_) if opts.vrid.is_some() => return ControlFlow::Continue(()),
            Event::Undecoded(_) => {
                summary.record_undecoded();
                false
            }
        };
        if opts.json {
            render::json_line(&mut buf, &ev);
        } else {
            render::text_line(&mut buf, &ev, opts.verbose, paint);
        }
        if let Some(w) = writer.as_mut() {
            if let Err(e) = w.write(&frame) {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        }
        if live || buf.len() >= FLUSH_AT {
            if let Err(e) = out
                .write_all(&buf)
                .and_then(|_| if live { out.flush() } else { Ok(()) })
            {
                failure = Some(e.into());
                return ControlFlow::Break(());
            }
            buf.clear();
        }
        if counts {
            seen += 1;
            if opts.count.is_some_and(|c| seen >= c) {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    };
    let result = source::for_each_frame_counted(&opts.source, &mut on_frame, &consumed);
    progress(consumed.get());
    if let Some(e) = failure {
        return Err(e);
    }
    // Print what was decoded even when the source failed half-way (a truncated file), but no
    // empty summary above the error when the source could not be opened at all.
    let report = summary.report();
    let anything =
        report.packets + report.malformed + report.undecoded + report.garp + report.na > 0;
    if opts.summary && (result.is_ok() || anything) {
        if opts.json {
            render::json_summary(&mut buf, &report);
        } else {
            render::text_summary(&mut buf, &report, paint);
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    if let Some(w) = writer {
        w.finish()?;
    }
    result?;
    Ok(report)
}
