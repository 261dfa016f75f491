// The one loop of the line reader that looks at every byte of every text log: where a line
// ends, and whether it is plain printable ASCII on the way (LineSplitter, TextCheck).
//
// Written in C because it needs 16 bytes per step: Swift's SIMD types compiled to a loop a
// byte at a time here (benchmarks/NOTES.md, `CTextScan`), and neither Foundation nor a
// maintained package offers "first byte outside a range".
#include "CTextScan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t sl_first_non_printable(const uint8_t *bytes, size_t count) {
    size_t i = 0;
#if defined(__SSE2__)
    // Signed bytes: 0x00-0x1F and 0x80-0xFF are all below 0x20; DEL is compared on its own.
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7F);
    for (; i + 16 <= count; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(bytes + i));
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del));
        int mask = _mm_movemask_epi8(bad);
        if (mask != 0) return i + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    for (; i < count; i++) {
        uint8_t b = bytes[i];
        if (b < 0x20 || b > 0x7E) return i;
    }
    return count;
}
