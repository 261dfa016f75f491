#ifndef SESSION_LEDGER_CTEXTSCAN_H
#define SESSION_LEDGER_CTEXTSCAN_H

#include <stddef.h>
#include <stdint.h>

/// The index of the first byte of `bytes[0 ..< count]` that is not printable ASCII
/// (0x20 ... 0x7E), or `count` when every byte is.
size_t sl_first_non_printable(const uint8_t *bytes, size_t count);

#endif
