#if canImport(Glibc)
    import Glibc
#endif

/// Memory that threads freed, given back to the system.
public enum FreedMemory {
    /// glibc keeps what a thread frees in that thread's arena, for the thread to use again; with
    /// several threads allocating and freeing in turns, the arenas together hold far more than is
    /// in use.
    ///
    /// `malloc_trim` gives the free pages of every arena back. (It is in <malloc.h>, which Swift's
    /// Glibc module leaves out; elsewhere this does nothing.)
    public static func giveBack() {
        #if canImport(Glibc)
            if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
            }
        #endif
    }
}
