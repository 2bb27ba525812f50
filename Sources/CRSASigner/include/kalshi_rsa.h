#ifndef KALSHI_RSA_H
#define KALSHI_RSA_H

#include <stddef.h>
#include <stdint.h>

/// An RSA private key prepared for Kalshi request signing: RSA-PSS, SHA-256, MGF1-SHA256, salt 32.
typedef struct kalshi_rsa_signer kalshi_rsa_signer;

/// Loads a PKCS#8 (or PKCS#1) DER private key. Returns NULL if it is not a usable RSA key.
kalshi_rsa_signer *kalshi_rsa_signer_create(const uint8_t *der, size_t der_length);

void kalshi_rsa_signer_free(kalshi_rsa_signer *signer);

/// The signature size in bytes (the modulus size).
size_t kalshi_rsa_signer_size(const kalshi_rsa_signer *signer);

/// Signs `message`: SHA-256 digest, then RSA-PSS. `signature` must hold `kalshi_rsa_signer_size` bytes;
/// `*signature_length` receives the length. Safe to call from several threads at once.
/// Returns 1 on success, 0 on failure.
int kalshi_rsa_signer_sign(const kalshi_rsa_signer *signer, const uint8_t *message, size_t message_length,
                           uint8_t *signature, size_t *signature_length);

#endif
