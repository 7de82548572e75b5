//! Where frames come from: a pcap or pcapng file (or stdin), or a live interface via pnet's
//! AF_PACKET channel. Each frame is handed to a callback with its timestamp and link type, so
//! file readers can lend their buffers without copying.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use pnet::datalink::{self, Channel};

use super::link::LINKTYPE_ETHERNET;
use super::stop;
use super::SniffError;

/// A capture timestamp (seconds since the epoch) and how many fraction digits it deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
    /// True when the source had nanosecond resolution (print 9 digits instead of 6).
    pub nano_res: bool,
}

impl Timestamp {
    pub fn as_secs_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
    fn from_duration(d: Duration, nano_res: bool) -> Timestamp {
        Timestamp {
            secs: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
            nano_res,
        }
    }
}

/// One captured frame, borrowed from the source for the duration of the callback.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    /// The link-layer header type (tcpdump.org LINKTYPE_ values).
    pub linktype: u32,
    pub data: &'a [u8],
    /// The frame's length on the wire (data may be cut by the snap length).
    pub orig_len: u32,
}

/// Where to read from.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// A pcap or pcapng file; "-" is standard input.
    File(PathBuf),
    /// Live capture on an interface.
    Live(String),
}

impl SourceSpec {
    /// How to name the source in messages.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::File(p) if p.as_os_str() == "-" => "standard input".into(),
            SourceSpec::File(p) => p.display().to_string(),
            SourceSpec::Live(i) => format!("interface {i}"),
        }
    }
}

/// Read frames from `spec` and call `f` for each until it breaks, the source ends, or a stop
/// was requested (Ctrl-C).
pub fn for_each_frame(
    spec: &SourceSpec,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
) -> Result<(), SniffError> {
    for_each_frame_counted(spec, f, &Cell::new(0))
}

/// [`for_each_frame`] that also keeps `consumed` at the number of bytes read from a file
/// source so far (for a progress bar; a live capture leaves it at 0).
pub fn for_each_frame_counted(
    spec: &SourceSpec,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    consumed: &Cell<u64>,
) -> Result<(), SniffError> {
    match spec {
        SourceSpec::File(path) => read_file(path, f, consumed),
        SourceSpec::Live(iface) => capture_live(iface, f),
    }
}

/// A reader that counts the bytes it hands out.
struct Counted<'a, R> {
    inner: R,
    consumed: &'a Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

fn read_file(
    path: &Path,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    consumed: &Cell<u64>,
) -> Result<(), SniffError> {
    let name = path.display().to_string();
    if path.as_os_str() == "-" {
        let stdin = Counted {
            inner: io::stdin().lock(),
            consumed,
        };
        return read_capture(stdin, &name, f);
    }
    let file = File::open(path).map_err(|e| SniffError::File {
        path: name.clone(),
        reason: e.to_string(),
    })?;
    read_capture(
        Counted {
            inner: file,
            consumed,
        },
        &name,
        f,
    )
}

/// Read a pcap or pcapng capture from `input` (named `name` in messages) and call `f` for each
/// record. A damaged record is handed on as it is (its `orig_len` says what was lost); only
/// damage that leaves the rest of the file unreadable ends the read, with an error, after
/// every record before it was seen.
pub fn read_capture<R: Read>(
    input: R,
    name: &str,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
) -> Result<(), SniffError> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut magic = [0u8; 4];
    let got = read_full(&mut input, &mut magic).map_err(|e| SniffError::File {
        path: name.to_string(),
        reason: e.to_string(),
    })?;
    if got == 4 && PCAP_MAGICS.contains(&magic) {
        read_pcap(input, magic, name, f)
    } else if got == 4 && magic == PCAPNG_MAGIC {
        let chained = io::Cursor::new(magic).chain(input);
        read_pcapng(chained, name, f)
    } else {
        Err(SniffError::NotPcap {
            path: name.to_string(),
        })
    }
}

/// Fill `buf` as far as the input goes; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn corrupt(path: &str, e: pcap_file::PcapError) -> SniffError {
    SniffError::File {
        path: path.to_string(),
        reason: format!("the file is damaged or cut short ({e})"),
    }
}

/// libpcap's largest snap length (MAXIMUM_SNAPLEN): a header that says 0 or more means this,
/// and a record that claims more cannot be trusted to say where the next one starts.
const MAX_SNAPLEN: u32 = 262_144;

/// The classic pcap format, read the way libpcap reads it (sf-pcap.c) rather than the way
/// pcap-file 2 does, which refuses the whole file at the first record longer than the snap
/// length: such a record is cut to the snap length and the rest skipped; a record header whose
/// lengths disagree (incl_len > orig_len) is passed on for the decoder to flag; only a record
/// longer than libpcap's maximum, or a file that ends inside a record, stops the read.
fn read_pcap<R: Read>(
    mut r: R,
    magic: [u8; 4],
    path: &str,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
) -> Result<(), SniffError> {
    let big_endian = magic[0] == 0xa1;
    let nano_res = matches!(magic, [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d]);
    let u32_at = |b: &[u8], o: usize| {
        let w = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let damaged = |reason: String| SniffError::File {
        path: path.to_string(),
        reason,
    };
    let io_err = |e: io::Error| damaged(e.to_string());
    let mut rest = [0u8; 20];
    if read_full(&mut r, &mut rest).map_err(io_err)? < rest.len() {
        return Err(SniffError::NotPcap {
            path: path.to_string(),
        });
    }
    let snaplen = match u32_at(&rest, 12) {
        0 => MAX_SNAPLEN,
        s => s.min(MAX_SNAPLEN),
    };
    // The upper bits of the link-type field carry FCS information (LT_FCS_DATAL_EXT).
    let linktype = u32_at(&rest, 16) & 0x0fff_ffff;
    let mut data = vec![0u8; snaplen as usize];
    let mut hdr = [0u8; 16];
    loop {
        match read_full(&mut r, &mut hdr).map_err(io_err)? {
            0 => return Ok(()),
            16 => {}
            n => {
                return Err(damaged(format!(
                    "the file is damaged or cut short: it ends inside a record header ({n} of 16 bytes)"
                )))
            }
        }
        let (secs, frac) = (u32_at(&hdr, 0), u32_at(&hdr, 4));
        let (caplen, orig_len) = (u32_at(&hdr, 8), u32_at(&hdr, 12));
        if caplen > MAX_SNAPLEN {
            return Err(damaged(format!(
                "the file is damaged or cut short: a record claims {caplen} captured bytes, more than any capture holds (at most {MAX_SNAPLEN}), so the records after it cannot be found"
            )));
        }
        let keep = caplen.min(snaplen) as usize;
        let got = read_full(&mut r, &mut data[..keep]).map_err(io_err)?;
        let skip = u64::from(caplen) - keep as u64;
        let skipped = if got == keep && skip > 0 {
            io::copy(&mut (&mut r).take(skip), &mut io::sink()).map_err(io_err)?
        } else {
            0
        };
        if got < keep || skipped < skip {
            return Err(damaged(format!(
                "the file is damaged or cut short: it ends inside a record ({} of its {caplen} bytes are there)",
                got as u64 + skipped
            )));
        }
        // A fraction of a second beyond one second (seen in fuzzed files) carries over.
        let per_sec: u64 = if nano_res { 1_000_000_000 } else { 1_000_000 };
        let frac = u64::from(frac);
        let nanos = (frac % per_sec) * (1_000_000_000 / per_sec);
        let frame = Frame {
            ts: Timestamp {
                secs: i64::from(secs) + (frac / per_sec) as i64,
                nanos: nanos as u32,
                nano_res,
            },
            linktype,
            data: &data[..keep],
            orig_len,
        };
        if f(frame).is_break() || stop::requested() {
            return Ok(());
        }
    }
}

/// Per-interface facts a pcapng file gives once, in its interface description blocks.
struct Interface {
    linktype: u32,
    /// Timestamp units per second (if_tsresol; 10^6 by default).
    units_per_sec: u64,
}

fn read_pcapng<R: Read>(
    r: R,
    path: &str,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
) -> Result<(), SniffError> {
    let mut reader = PcapNgReader::new(BufReader::with_capacity(1 << 16, r)).map_err(|_| {
        SniffError::NotPcap {
            path: path.to_string(),
        }
    })?;
    let mut interfaces: Vec<Interface> = Vec::new();
    while let Some(block) = reader.next_block() {
        let block = block.map_err(|e| corrupt(path, e))?;
        let (iface, raw_ts, data, orig_len) = match &block {
            Block::SectionHeader(_) => {
                // Interface ids restart in each section.
                interfaces.clear();
                continue;
            }
            Block::InterfaceDescription(idb) => {
                interfaces.push(Interface {
                    linktype: u32::from(idb.linktype),
                    units_per_sec: tsresol_units(&idb.options),
                });
                continue;
            }
            // pcap-file 2.0 stores the raw 64-bit timestamp as if it were nanoseconds, whatever
            // if_tsresol says; undo that here and apply the interface's resolution.
            Block::EnhancedPacket(epb) => (
                epb.interface_id as usize,
                epb.timestamp.as_nanos() as u64,
                &epb.data,
                epb.original_len,
            ),
            Block::SimplePacket(spb) => (0, 0, &spb.data, spb.original_len),
            _ => continue,
        };
        let Some(ifc) = interfaces.get(iface) else {
            return Err(SniffError::File {
                path: path.to_string(),
                reason: format!("a packet names interface {iface}, which the file never describes"),
            });
        };
        let ups = ifc.units_per_sec.max(1);
        let secs = raw_ts / ups;
        let frac = raw_ts % ups;
        let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(ups)) as u32;
        let frame = Frame {
            ts: Timestamp {
                secs: secs as i64,
                nanos,
                nano_res: ups > 1_000_000,
            },
            linktype: ifc.linktype,
            data,
            orig_len,
        };
        if f(frame).is_break() || stop::requested() {
            break;
        }
    }
    Ok(())
}

fn tsresol_units(
    options: &[pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption<'_>],
) -> u64 {
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption as O;
    for o in options {
        if let O::IfTsResol(r) = o {
            let exp = u32::from(r & 0x7f);
            return if r & 0x80 == 0 {
                10u64.checked_pow(exp).unwrap_or(1_000_000)
            } else {
                2u64.checked_pow(exp).unwrap_or(1_000_000)
            };
        }
    }
    1_000_000
}

fn capture_live(
    iface: &str,
    f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
) -> Result<(), SniffError> {
    if iface == "any" {
        return super::any::capture_any(f);
    }
    let Some(ni) = datalink::interfaces().into_iter().find(|i| i.name == iface) else {
        return Err(SniffError::NoSuchInterface(iface.to_string()));
    };
    let config = datalink::Config {
        // pnet's default of 4096 would cut jumbo frames; VRRP is small but GARP/NA ride along.
        read_buffer_size: 65536,
        read_timeout: Some(Duration::from_millis(200)),
        promiscuous: false,
        ..Default::default()
    };
    let mut rx = match datalink::channel(&ni, config) {
        Ok(Channel::Ethernet(_tx, rx)) => rx,
        Ok(_) => {
            return Err(SniffError::Capture {
                iface: iface.to_string(),
                reason: "pnet returned a non-Ethernet channel".into(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(SniffError::Permission(iface.to_string()))
        }
        Err(e) => {
            return Err(SniffError::Capture {
                iface: iface.to_string(),
                reason: e.to_string(),
            })
        }
    };
    loop {
        if stop::requested() {
            return Ok(());
        }
        match rx.next() {
            Ok(data) => {
                // pnet has no kernel timestamps (libpnet#760): take the clock right after recv.
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let frame = Frame {
                    ts: Timestamp::from_duration(now, true),
                    linktype: LINKTYPE_ETHERNET,
                    data,
                    orig_len: data.len() as u32,
                };
                if f(frame).is_break() {
                    return Ok(());
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                return Err(SniffError::Capture {
                    iface: iface.to_string(),
                    reason: e.to_string(),
                })
            }
        }
    }
}

/// The link type pcap-file should write for `linktype`.
pub fn datalink(linktype: u32) -> DataLink {
    DataLink::from(linktype)
}
