// The system libsecp256k1 (Debian libsecp256k1-dev) with its recovery module: recoverable ECDSA
// signatures for Polymarket's EIP-712 orders (v = recid + 27) and key → address derivation.
#include <secp256k1.h>
#include <secp256k1_recovery.h>
