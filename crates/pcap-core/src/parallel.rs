//! Parallel driver: many files, or one file split across cores (in progress).
