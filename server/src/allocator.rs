//! glibc's allocator set for training's large, short-lived buffers (column matrices,
//! activations, gradients: megabytes, freed after each step): kept in the heap for the next
//! step instead of being unmapped and faulted in again.
//!
//! By default glibc serves blocks over its mmap threshold with fresh mappings and returns
//! them to the system on free; a LeNet step at batch 128 allocates tens of megabytes that way,
//! and the page faults and page clearing took a third of the training time (`perf`).

/// The largest mmap threshold glibc accepts on 64-bit systems (32 MiB): smaller blocks come
/// from the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 << 20;

/// Freed memory at the top of the heap is returned to the system only above this (1 GiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 1 << 30;

/// Raises glibc's mmap and trim thresholds for the whole process; a no-op on other C
/// libraries. Call once, first thing in `main`. Returns whether glibc took both settings.
#[allow(unsafe_code)] // A documented exception to the workspace's rule: see the SAFETY note.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes two of glibc's allocation parameters, both in range
        // (glibc answers 0 and changes nothing otherwise); it touches no memory of ours.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn glibc_takes_both_settings() {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        assert!(super::keep_freed_memory());
        // Memory still allocates and frees normally afterwards.
        let block = vec![1.0f32; 8 << 20];
        assert_eq!(block.iter().sum::<f32>(), (8 << 20) as f32);
    }
}
