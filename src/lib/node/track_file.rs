//! track_file's rules as keepalived 2.2.7 applies them (trackers/track_file.c), pure: what
//! number a file's contents are, and what `init_file` does with a file that is there or not.
//! The daemon reads and watches the files; what the value does to an instance (value x
//! weight, FAULT) is `TrackerDef::contribution`.

/// The value of a track_file's contents: the first 127 bytes read as C's `strtol(buf, NULL, 0)`
/// (leading white space, a sign, `0x` hex or `0` octal; reading stops at the first other
/// character; no digits is 0; an empty file is 0). None: the number is out of range, and
/// keepalived logs "Invalid number" and keeps the previous value.
pub fn parse_value(contents: &[u8]) -> Option<i64> {
    let buf = &contents[..contents.len().min(127)];
    let mut i = 0;
    // C's isspace: space, \t, \n, \v, \f, \r.
    while i < buf.len() && matches!(buf[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match buf.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex_digit = |b: Option<&u8>| b.is_some_and(u8::is_ascii_hexdigit);
    let radix = if buf.get(i) == Some(&b'0')
        && matches!(buf.get(i + 1), Some(b'x' | b'X'))
        && hex_digit(buf.get(i + 2))
    {
        i += 2;
        16
    } else if buf.get(i) == Some(&b'0') {
        8
    } else {
        10
    };
    let mut value: i128 = 0;
    while let Some(d) = buf.get(i).and_then(|&b| (b as char).to_digit(radix)) {
        value = value * i128::from(radix) + i128::from(d);
        // strtol's ERANGE (a long is 64 bits here).
        if value > i128::from(i64::MAX) + 1 {
            return None;
        }
        i += 1;
    }
    let value = if negative { -value } else { value };
    let value = i64::try_from(value).ok()?;
    // keepalived accepts INT32_MIN..=INT32_MAX + 1.
    (i64::from(i32::MIN)..=i64::from(i32::MAX) + 1)
        .contains(&value)
        .then_some(value)
}

/// What `init_file [VALUE] [overwrite]` does at start (keepalived's track_file_end_handler).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitFile {
    /// Leave the file as it is.
    Leave,
    /// Write `VALUE\n` (0 when no value is given).
    Write(i64),
    /// The path exists but is not a regular file: an error, nothing written.
    NotRegular,
}

/// `existing`: None when nothing is at the path, Some(is a regular file) otherwise.
/// `reloading`: a reload never overwrites a file that is there.
pub fn init_file(
    value: Option<i64>,
    overwrite: bool,
    existing: Option<bool>,
    reloading: bool,
) -> InitFile {
    match existing {
        None => InitFile::Write(value.unwrap_or(0)),
        Some(_) if !overwrite || reloading => InitFile::Leave,
        Some(false) => InitFile::NotRegular,
        Some(true) => InitFile::Write(value.unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_strtol() {
        assert_eq!(parse_value(b"5\n"), Some(5));
        assert_eq!(parse_value(b"  -30 trailing words"), Some(-30));
        assert_eq!(parse_value(b"+7"), Some(7));
        assert_eq!(parse_value(b"0x10"), Some(16));
        assert_eq!(parse_value(b"010"), Some(8));
        assert_eq!(parse_value(b"09"), Some(0));
        assert_eq!(parse_value(b"0x"), Some(0));
        // Garbage and an empty file are 0.
        assert_eq!(parse_value(b"garbage"), Some(0));
        assert_eq!(parse_value(b""), Some(0));
        assert_eq!(parse_value(b"-"), Some(0));
        // Out of range: ignored (the previous value stays).
        assert_eq!(parse_value(b"2147483648"), Some(2147483648));
        assert_eq!(parse_value(b"2147483649"), None);
        assert_eq!(parse_value(b"-2147483649"), None);
        assert_eq!(parse_value(b"99999999999999999999999"), None);
        // Only the first 127 bytes are read.
        let mut long = vec![b' '; 127];
        long.extend_from_slice(b"42");
        assert_eq!(parse_value(&long), Some(0));
    }

    #[test]
    fn init_file_as_keepalived() {
        use InitFile::*;
        // No file: created, with the value or 0.
        assert_eq!(init_file(None, false, None, false), Write(0));
        assert_eq!(init_file(Some(5), false, None, true), Write(5));
        // A file already there is kept unless `overwrite`, and never on reload.
        assert_eq!(init_file(Some(5), false, Some(true), false), Leave);
        assert_eq!(init_file(Some(5), true, Some(true), false), Write(5));
        assert_eq!(init_file(Some(5), true, Some(true), true), Leave);
        assert_eq!(init_file(Some(5), true, Some(false), false), NotRegular);
    }
}
