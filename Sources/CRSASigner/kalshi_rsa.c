#include "kalshi_rsa.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>

struct kalshi_rsa_signer {
    EVP_PKEY *key;
    /* A signing context configured once (PSS, SHA-256, MGF1-SHA256, salt = digest length) and
       duplicated for each signature, so concurrent callers never share mutable state and no call pays
       for algorithm fetching. */
    EVP_PKEY_CTX *template;
    size_t size;
};

kalshi_rsa_signer *kalshi_rsa_signer_create(const uint8_t *der, size_t der_length) {
    /* No clean-up of OpenSSL's global state at exit: the presigner's thread may be signing while the
       process exits (a run refused at start-up), and the atexit handler freed what that signature was
       using (SIGSEGV instead of the run's exit status). The first initialisation decides; this is the
       process's only user of the system libcrypto. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
    const unsigned char *cursor = der;
    EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &cursor, (long)der_length);
    if (key == NULL) return NULL;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) { EVP_PKEY_free(key); return NULL; }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(key);
        return NULL;
    }
    kalshi_rsa_signer *signer = malloc(sizeof *signer);
    if (signer == NULL) { EVP_PKEY_CTX_free(ctx); EVP_PKEY_free(key); return NULL; }
    signer->key = key;
    signer->template = ctx;
    signer->size = (size_t)EVP_PKEY_get_size(key);
    return signer;
}

void kalshi_rsa_signer_free(kalshi_rsa_signer *signer) {
    if (signer == NULL) return;
    EVP_PKEY_CTX_free(signer->template);
    EVP_PKEY_free(signer->key);
    free(signer);
}

size_t kalshi_rsa_signer_size(const kalshi_rsa_signer *signer) { return signer->size; }

int kalshi_rsa_signer_sign(const kalshi_rsa_signer *signer, const uint8_t *message, size_t message_length,
                           uint8_t *signature, size_t *signature_length) {
    unsigned char digest[32];
    unsigned int digest_length = 0;
    if (EVP_Digest(message, message_length, digest, &digest_length, EVP_sha256(), NULL) != 1 || digest_length != 32) return 0;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_dup(signer->template);
    if (ctx == NULL) return 0;
    size_t length = signer->size;
    int ok = EVP_PKEY_sign(ctx, signature, &length, digest, sizeof digest) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (ok) *signature_length = length;
    return ok;
}
