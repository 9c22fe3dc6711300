/* TLS: a server with a certificate the test makes with openssl, read by a
 * client that trusts it; a plaintext client cannot talk to it. */
#include <stdlib.h>
#include <string.h>

#include "flight_test_util.h"
#include "test.h"

QV_TEST(flight_tls_do_get_with_a_self_signed_certificate) {
  qv_error err = {0};
  char *cert = NULL, *key = NULL;
  if (!ft_make_certificate(&cert, &key)) {
    qv_test_fail(__FILE__, __LINE__, "openssl could not make a test certificate");
    return;
  }
  ft_state st;
  ft_state_init(&st);
  qv_flight_server_options so;
  qv_flight_server_options_init(&so);
  so.tls_cert_chain_pem = cert;
  so.tls_private_key_pem = key;
  qv_flight_server *srv = NULL;
  char loc[64];
  qv_status rc = ft_start_server(&st, &so, &srv, loc, sizeof loc, &err);
  free(key);
  if (rc != QV_OK) free(cert);
  CHECK_OK(rc, &err);

  qv_flight_client_options co;
  qv_flight_client_options_init(&co);
  co.tls_root_certs_pem = cert;
  qv_flight_client *client = NULL;
  rc = qv_flight_client_create(&co, &client, &err);
  if (rc != QV_OK) free(cert);
  CHECK_OK(rc, &err);
  qv_flight_call_options o = {NULL, 0, 30000};

  char tls_loc[96];
  snprintf(tls_loc, sizeof tls_loc, "grpc+tls://%s", loc);
  qv_flight_stream *s = NULL;
  CHECK_OK(qv_flight_client_do_get(client, tls_loc, (const uint8_t *)"sample:3", 8, &o, &s, &err),
           &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 3);
  qv_flight_stream_destroy(s);

  /* Verifying the certificate against the name "localhost" (without a DNS
   * lookup: c-ares leaks when it resolves "localhost"). */
  qv_flight_client_options named = co;
  named.tls_override_hostname = "localhost";
  qv_flight_client *named_client = NULL;
  CHECK_OK(qv_flight_client_create(&named, &named_client, &err), &err);
  CHECK_OK(qv_flight_client_do_get(named_client, tls_loc, (const uint8_t *)"sample:1", 8, &o, &s,
                                   &err),
           &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 1);
  qv_flight_stream_destroy(s);
  /* A name the certificate does not carry is refused. */
  named.tls_override_hostname = "elsewhere.example";
  qv_flight_client *wrong = NULL;
  CHECK_OK(qv_flight_client_create(&named, &wrong, &err), &err);
  qv_flight_call_options wrong_o = {NULL, 0, 5000};
  CHECK_STATUS(qv_flight_client_do_get(wrong, tls_loc, (const uint8_t *)"sample:1", 8, &wrong_o, &s,
                                       &err),
               QV_UNAVAILABLE);
  qv_flight_client_destroy(wrong);
  qv_flight_client_destroy(named_client);

  /* Plaintext against TLS fails; so does TLS without trusting the server. */
  qv_flight_client *plain = NULL;
  CHECK_OK(qv_flight_client_create(NULL, &plain, &err), &err);
  qv_flight_call_options short_o = {NULL, 0, 5000};
  CHECK(qv_flight_client_do_get(plain, loc, (const uint8_t *)"sample:1", 8, &short_o, &s, &err) !=
        QV_OK);
  snprintf(tls_loc, sizeof tls_loc, "grpc+tls://%s", loc);
  CHECK_STATUS(qv_flight_client_do_get(plain, tls_loc, (const uint8_t *)"sample:1", 8, &short_o, &s,
                                       &err),
               QV_UNAVAILABLE);
  qv_flight_client_destroy(plain);

  qv_flight_client_destroy(client);
  qv_flight_server_destroy(srv);
  ft_state_reset(&st);
  free(cert);
}

QV_TEST(flight_tls_server_with_a_bad_key_does_not_start) {
  qv_error err = {0};
  qv_flight_server_options so;
  qv_flight_server_options_init(&so);
  so.tls_cert_chain_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  so.tls_private_key_pem = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n";
  qv_flight_server *srv = NULL;
  CHECK_OK(qv_flight_server_create(NULL, &so, &srv, &err), &err);
  qv_status st = qv_flight_server_start(srv, "127.0.0.1:0", &err);
  qv_flight_server_destroy(srv);
  CHECK_STATUS(st, QV_IO);
}
