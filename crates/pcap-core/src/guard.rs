//! Keeps a file that shrinks while it is mapped from killing the process.
//!
//! Reading a page of a mapping past the current end of its file raises
//! `SIGBUS`, which by default kills the process: what happens when a
//! capture writer with rotation or a ring buffer truncates a file a tool
//! is reading. Every [`Capture`](crate::Capture) mapping is registered here
//! ([`Guard`]); a `SIGBUS` handler (installed once, the first time a file
//! is mapped) looks the faulting address up, maps anonymous zero pages over
//! the rest of that mapping (one fault per mapping, the instruction then
//! reads zeros instead of faulting again) and lowers the mapping's *valid
//! length* to the faulting page. The record walks check that length after
//! every record, so a walk stops with [`Error::Changed`](crate::Error::Changed)
//! at the first record that reaches into the lost part, and every packet
//! before it was read from the file as it was.
//!
//! A fault outside every registered mapping is not ours: the previous
//! handler (or the default action) runs as before.
//!
//! Limits: at most [`SLOTS`] mappings are protected at once (more are
//! still mapped, unprotected, as before); a file rewritten in place without
//! shrinking is read as whatever bytes it holds at the moment (the parsers
//! accept any bytes, see the proptests).

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many mappings can be protected at the same time.
pub const SLOTS: usize = 1024;

const FREE: usize = 0;
const BUSY: usize = 1;
const ACTIVE: usize = 2;

struct Slot {
    state: AtomicUsize,
    start: AtomicUsize,
    end: AtomicUsize,
    /// Bytes from `start` that still come from the file.
    valid: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    state: AtomicUsize::new(FREE),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    valid: AtomicUsize::new(0),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

/// Valid length of a mapping that no fault can shrink (in-memory data).
static UNGUARDED: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The valid length of data that cannot shrink: never lowered.
pub(crate) fn unguarded() -> &'static AtomicUsize {
    &UNGUARDED
}

/// A mapping registered with the `SIGBUS` handler; unregisters on drop
/// (drop it before unmapping).
#[derive(Debug)]
pub(crate) struct Guard {
    slot: Option<usize>,
}

impl Guard {
    /// Registers `len` bytes mapped at `ptr`. Never fails: without a free
    /// slot or a handler the mapping is simply not protected.
    pub(crate) fn register(ptr: *const u8, len: usize) -> Guard {
        if len == 0 || !install() {
            return Guard { slot: None };
        }
        for (i, s) in TABLE.iter().enumerate() {
            if s.state
                .compare_exchange(FREE, BUSY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                let start = ptr as usize;
                s.start.store(start, Ordering::Relaxed);
                s.end.store(start.saturating_add(len), Ordering::Relaxed);
                s.valid.store(len, Ordering::Relaxed);
                s.state.store(ACTIVE, Ordering::Release);
                return Guard { slot: Some(i) };
            }
        }
        Guard { slot: None }
    }

    /// The valid length: `usize::MAX` until a fault, then the offset of
    /// the first page that is gone.
    pub(crate) fn valid(&self) -> &'static AtomicUsize {
        match self.slot {
            Some(i) => &TABLE[i].valid,
            None => &UNGUARDED,
        }
    }

    /// Whether a fault has happened in this mapping.
    pub(crate) fn faulted(&self, len: usize) -> Option<usize> {
        let v = self.valid().load(Ordering::Acquire);
        (v < len).then_some(v)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            let s = &TABLE[i];
            s.state.store(BUSY, Ordering::Release);
            s.start.store(0, Ordering::Relaxed);
            s.end.store(0, Ordering::Relaxed);
            s.state.store(FREE, Ordering::Release);
        }
    }
}

#[cfg(unix)]
mod imp {
    use super::*;
    use std::sync::OnceLock;

    struct Previous(libc::sigaction);
    // SAFETY: a plain C struct, written once before any read.
    unsafe impl Sync for Previous {}
    unsafe impl Send for Previous {}

    static PREVIOUS: OnceLock<Option<Previous>> = OnceLock::new();

    pub(super) fn install() -> bool {
        PREVIOUS
            .get_or_init(|| {
                // SAFETY: sigaction with a zeroed struct and a handler of
                // the SA_SIGINFO signature; the old action is saved.
                unsafe {
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = handler as *const () as usize;
                    new.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut new.sa_mask);
                    let mut old: libc::sigaction = std::mem::zeroed();
                    (libc::sigaction(libc::SIGBUS, &new, &mut old) == 0).then_some(Previous(old))
                }
            })
            .is_some()
    }

    fn page() -> usize {
        static PAGE: AtomicUsize = AtomicUsize::new(0);
        let p = PAGE.load(Ordering::Relaxed);
        if p != 0 {
            return p;
        }
        // SAFETY: sysconf has no preconditions.
        let p = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
            .ok()
            .filter(|&p| p.is_power_of_two())
            .unwrap_or(4096);
        PAGE.store(p, Ordering::Relaxed);
        p
    }

    /// The `SIGBUS` handler. Only async-signal-safe work: atomics, `mmap`
    /// (a plain system call on Linux and the BSDs), `sigaction`.
    extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let addr = unsafe { (*info).si_addr() } as usize;
        let page = page();
        for s in TABLE.iter() {
            if s.state.load(Ordering::Acquire) != ACTIVE {
                continue;
            }
            let start = s.start.load(Ordering::Relaxed);
            let end = s.end.load(Ordering::Relaxed);
            if addr < start || addr >= end {
                continue;
            }
            let at = addr & !(page - 1);
            let at = at.max(start);
            // SAFETY: [at, end) lies inside a live mapping of ours (the
            // slot is active, and it is unregistered before unmapping);
            // replacing it with private zero pages only changes what that
            // mapping reads.
            let r = unsafe {
                libc::mmap(
                    at as *mut libc::c_void,
                    end - at,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if r != libc::MAP_FAILED {
                s.valid.fetch_min(at - start, Ordering::AcqRel);
                return;
            }
            break;
        }
        // Not ours (or we could not repair it): what would have happened
        // without us.
        match PREVIOUS.get() {
            Some(Some(Previous(old)))
                if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN =>
            {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    // SAFETY: the previous handler has this signature.
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        unsafe { std::mem::transmute(old.sa_sigaction) };
                    f(sig, info, ctx);
                } else {
                    // SAFETY: the previous handler has this signature.
                    let f: extern "C" fn(libc::c_int) =
                        unsafe { std::mem::transmute(old.sa_sigaction) };
                    f(sig);
                }
            }
            _ => {
                // Restore the default action; returning re-runs the access,
                // which faults again and ends the process as it would have.
                // SAFETY: plain sigaction with a zeroed struct.
                unsafe {
                    let mut dfl: libc::sigaction = std::mem::zeroed();
                    dfl.sa_sigaction = libc::SIG_DFL;
                    libc::sigemptyset(&mut dfl.sa_mask);
                    libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(unix)]
use imp::install;

#[cfg(not(unix))]
fn install() -> bool {
    false
}
