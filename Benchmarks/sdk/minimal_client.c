/* The least a signed Kalshi request can cost on this machine: one RSA-PSS signature (the same OpenSSL
   calls as the project's signer), one write of a prebuilt HTTP/1.1 request on a keep-alive socket and
   blocking reads of the answer up to its Content-Length; no event loop, no JSON, no checks beyond the
   status. A reference for `compare-sdk.sh`, not a client: it shows how much of a request's CPU is the
   signature and the system calls, which no client avoids.

     minimal_client BASE_URL KEY_ID PRIVATE_KEY_PEM_FILE [REQUESTS]   (BASE_URL: http://127.0.0.1:PORT/trade-api/v2)

   Prints `c_minimal get_balance n=… cpu_per_request_us=…` (the process's CPU after 200 warm-up requests). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int fail(const char *what) {
    fprintf(stderr, "minimal_client: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) return fail("usage: minimal_client BASE_URL KEY_ID PRIVATE_KEY_PEM_FILE [REQUESTS]");
    int port = 0;
    char base_path[256];
    if (sscanf(argv[1], "http://127.0.0.1:%d%255s", &port, base_path) != 2) return fail("BASE_URL must be http://127.0.0.1:PORT/PATH");
    const char *key_id = argv[2];
    int requests = argc > 4 ? atoi(argv[4]) : 2000;
    if (requests <= 0) return fail("REQUESTS must be positive");

    FILE *pem = fopen(argv[3], "r");
    if (pem == NULL) return fail("cannot open the private key");
    EVP_PKEY *key = PEM_read_PrivateKey(pem, NULL, NULL, NULL);
    fclose(pem);
    if (key == NULL) return fail("cannot read the private key");
    EVP_PKEY_CTX *template = EVP_PKEY_CTX_new(key, NULL);
    if (template == NULL || EVP_PKEY_sign_init(template) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(template, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(template, EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(template, EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(template, RSA_PSS_SALTLEN_DIGEST) <= 0) return fail("cannot set up RSA-PSS signing");

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (sock < 0 || connect(sock, (struct sockaddr *)&address, sizeof address) != 0) return fail("cannot connect");

    char path[512], message[640], request[2048], answer[65536];
    unsigned char digest[32], signature[512], encoded[700];
    snprintf(path, sizeof path, "%s/portfolio/balance", base_path);
    long long start = 0;
    for (int index = 0; index < requests + 200; index++) {
        if (index == 200) start = cpu_ns();
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        long long milliseconds = wall.tv_sec * 1000LL + wall.tv_nsec / 1000000;
        int message_length = snprintf(message, sizeof message, "%lldGET%s", milliseconds, path);
        unsigned int digest_length = 0;
        size_t signature_length = sizeof signature;
        EVP_PKEY_CTX *context = EVP_PKEY_CTX_dup(template);
        if (context == NULL || EVP_Digest(message, (size_t)message_length, digest, &digest_length, EVP_sha256(), NULL) != 1 ||
            EVP_PKEY_sign(context, signature, &signature_length, digest, digest_length) <= 0) return fail("signing failed");
        EVP_PKEY_CTX_free(context);
        EVP_EncodeBlock(encoded, signature, (int)signature_length);
        int length = snprintf(request, sizeof request,
                              "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nKALSHI-ACCESS-KEY: %s\r\nKALSHI-ACCESS-TIMESTAMP: %lld\r\n"
                              "KALSHI-ACCESS-SIGNATURE: %s\r\n\r\n", path, port, key_id, milliseconds, encoded);
        if (write(sock, request, (size_t)length) != length) return fail("write failed");
        size_t received = 0;
        for (;;) {
            ssize_t got = read(sock, answer + received, sizeof answer - 1 - received);
            if (got <= 0) return fail("the connection ended before the answer");
            received += (size_t)got;
            answer[received] = 0;
            char *end = strstr(answer, "\r\n\r\n");
            if (end == NULL) continue;
            if (strncmp(answer, "HTTP/1.1 200", 12) != 0) return fail("the answer is not 200 OK");
            char *field = strcasestr(answer, "\r\ncontent-length:");
            if (field == NULL || field > end) return fail("the answer has no Content-Length");
            if (received >= (size_t)(end + 4 - answer) + strtoul(field + 17, NULL, 10)) break;
        }
    }
    printf("c_minimal get_balance n=%d cpu_per_request_us=%lld\n", requests, (cpu_ns() - start) / requests / 1000);
    return 0;
}
