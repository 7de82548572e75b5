//! `-w FILE`: the frames sniff showed, written to a classic pcap file with the link type and
//! timestamp resolution of the source, so tcpdump, tshark and sniff itself can read it back.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::TsResolution;

use super::source::{datalink, Frame};
use super::SniffError;

pub struct FrameWriter {
    path: PathBuf,
    /// Opened with the first frame, whose link type the file takes.
    inner: Option<(PcapWriter<BufWriter<File>>, u32)>,
    file: Option<File>,
    skipped_other_linktype: bool,
}

impl FrameWriter {
    /// Create the file now, so an unwritable path fails before any capture starts.
    pub fn create(path: &Path) -> Result<FrameWriter, SniffError> {
        let file = File::create(path).map_err(|e| SniffError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(FrameWriter {
            path: path.to_path_buf(),
            inner: None,
            file: Some(file),
            skipped_other_linktype: false,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> SniffError {
        SniffError::Write {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    pub fn write(&mut self, frame: &Frame<'_>) -> Result<(), SniffError> {
        if self.inner.is_none() {
            let Some(file) = self.file.take() else {
                return Ok(());
            };
            let header = PcapHeader {
                datalink: datalink(frame.linktype),
                ts_resolution: if frame.ts.nano_res {
                    TsResolution::NanoSecond
                } else {
                    TsResolution::MicroSecond
                },
                snaplen: 262_144,
                endianness: pcap_file::Endianness::Little,
                ..Default::default()
            };
            let w =
                PcapWriter::with_header(BufWriter::new(file), header).map_err(|e| self.err(e))?;
            self.inner = Some((w, frame.linktype));
        }
        let Some((w, linktype)) = self.inner.as_mut() else {
            return Ok(());
        };
        if *linktype != frame.linktype {
            // A pcap file has one link type; a pcapng source may mix them.
            if !self.skipped_other_linktype {
                tracing::warn!(
                    "-w {}: skipping frames of link type {} (the file is link type {})",
                    self.path.display(),
                    frame.linktype,
                    linktype
                );
                self.skipped_other_linktype = true;
            }
            return Ok(());
        }
        let ts = Duration::new(frame.ts.secs.max(0) as u64, frame.ts.nanos);
        let pkt = PcapPacket::new(ts, frame.orig_len.max(frame.data.len() as u32), frame.data);
        let r = w.write_packet(&pkt);
        r.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Flush and close; a file with no frames still gets an Ethernet pcap header.
    pub fn finish(mut self) -> Result<(), SniffError> {
        if let Some(file) = self.file.take() {
            let header = PcapHeader::default();
            PcapWriter::with_header(BufWriter::new(file), header).map_err(|e| self.err(e))?;
        }
        if let Some((w, _)) = self.inner.take() {
            let mut bw = w.into_writer();
            std::io::Write::flush(&mut bw).map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}
