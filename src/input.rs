//! Reading a file given as an input: a plain file (or a link to one), within a size. A device
//! or a pipe is refused before it is opened: `--policy g=/dev/zero` read until the system ran
//! out of memory, and a named pipe given as the scenario waited for a writer for ever.

use std::io::{self, Read};
use std::path::Path;

/// What a file of type `t` is, for a message: `a file`, `a folder`, `a device`, `a named pipe
/// (FIFO)`, `a socket`, `a symbolic link`.
pub fn what_it_is(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        } else if t.is_fifo() {
            return "a named pipe (FIFO)";
        } else if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a file"
    } else {
        "not a file"
    }
}

/// Refuses what stands at `path` when it is there and is neither a file nor a folder (a
/// device, a pipe, a socket; a link is followed): an error of kind `InvalidInput` saying what
/// it is. Nothing there, or a folder, is left to the reader to say.
pub fn check(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a file; give a file", what_it_is(m.file_type())),
        )),
        _ => Ok(()),
    }
}

/// The bytes of the file at `path` ([`check`]ed first), refused (`FileTooLarge`) past `max`
/// bytes: "it is larger than … MiB, the most {what} may hold".
pub fn read(path: &Path, max: u64, what: &str) -> io::Result<Vec<u8>> {
    check(path)?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is larger than {} MiB, the most {what} may hold", max >> 20),
        ));
    }
    Ok(bytes)
}

/// The text of the file at `path` ([`check`]ed first), whatever its size: a checkpoint, a
/// sweep's table.
pub fn read_text(path: &Path) -> io::Result<String> {
    check(path)?;
    std::fs::read_to_string(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_pipes_are_refused_before_they_are_read() {
        for dev in ["/dev/zero", "/dev/null"] {
            let e = read(Path::new(dev), 1 << 20, "a test file").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("it is a device, not a file"), "{e}");
        }
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("pipe.ron");
        if std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            // (Opened, it would wait for a writer for ever.)
            let e = read(&fifo, 1 << 20, "a test file").unwrap_err();
            assert!(e.to_string().contains("a named pipe (FIFO), not a file"), "{e}");
        }
        let big = t.path().join("big");
        std::fs::write(&big, vec![b'x'; (2 << 20) + 1]).unwrap();
        let e = read(&big, 2 << 20, "a test file").unwrap_err();
        assert_eq!(e.to_string(), "it is larger than 2 MiB, the most a test file may hold");
        assert_eq!(read(&big, 3 << 20, "a test file").unwrap().len(), (2 << 20) + 1);
        assert_eq!(read(&t.path().join("none"), 10, "x").unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
