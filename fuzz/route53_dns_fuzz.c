/* libFuzzer target: the DNS server's query path (src/svc/route53/answer.c). The input is a
 * query as it arrives in a datagram, answered from a fixed snapshot of zones (public and
 * private, weighted, failover, multivalue, alias, CNAME chains and a CNAME loop, wildcard)
 * as the public address and as a VPC's resolver, over UDP and TCP limits. A reply must be
 * no larger than the limit and start with the query's id. Seeds: fuzz/corpus/route53_dns_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/route53/route53.h"

static const char zones[] =
    "[{\"Id\":\"ZPUB\",\"Name\":\"example.com.\",\"Private\":false,\"VPCs\":[],\"Records\":["
    "{\"Name\":\"example.com.\",\"Type\":\"NS\",\"TTL\":172800,\"ResourceRecords\":[{\"Value\":"
    "\"ns-0.awsdns-00.com.\"}]},"
    "{\"Name\":\"example.com.\",\"Type\":\"SOA\",\"TTL\":900,\"ResourceRecords\":[{\"Value\":"
    "\"ns-2048.awsdns-64.net. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400\"}]},"
    "{\"Name\":\"a.example.com.\",\"Type\":\"A\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":"
    "\"192.0.2.1\"},{\"Value\":\"192.0.2.2\"}]},"
    "{\"Name\":\"al.example.com.\",\"Type\":\"A\",\"AliasTarget\":{\"HostedZoneId\":\"ZPUB\","
    "\"DNSName\":\"a.example.com.\",\"EvaluateTargetHealth\":true}},"
    "{\"Name\":\"c.example.com.\",\"Type\":\"CNAME\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":"
    "\"a.example.com.\"}]},"
    "{\"Name\":\"loop1.example.com.\",\"Type\":\"CNAME\",\"TTL\":60,\"ResourceRecords\":[{"
    "\"Value\":\"loop2.example.com.\"}]},"
    "{\"Name\":\"loop2.example.com.\",\"Type\":\"CNAME\",\"TTL\":60,\"ResourceRecords\":[{"
    "\"Value\":\"loop1.example.com.\"}]},"
    "{\"Name\":\"f.example.com.\",\"Type\":\"A\",\"SetIdentifier\":\"p\",\"Failover\":"
    "\"PRIMARY\",\"HealthCheckId\":\"h\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":"
    "\"192.0.2.5\"}]},"
    "{\"Name\":\"m.example.com.\",\"Type\":\"A\",\"SetIdentifier\":\"m\",\"MultiValueAnswer\":"
    "true,\"TTL\":60,\"ResourceRecords\":[{\"Value\":\"192.0.2.6\"}]},"
    "{\"Name\":\"t.example.com.\",\"Type\":\"TXT\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":"
    "\"\\\"hello\\\"\"}]},"
    "{\"Name\":\"w.example.com.\",\"Type\":\"A\",\"SetIdentifier\":\"x\",\"Weight\":2,\"TTL\":60,"
    "\"ResourceRecords\":[{\"Value\":\"192.0.2.3\"}]},"
    "{\"Name\":\"w.example.com.\",\"Type\":\"A\",\"SetIdentifier\":\"y\",\"Weight\":0,\"TTL\":60,"
    "\"ResourceRecords\":[{\"Value\":\"192.0.2.4\"}]},"
    "{\"Name\":\"\\\\052.wild.example.com.\",\"Type\":\"A\",\"TTL\":60,\"ResourceRecords\":[{"
    "\"Value\":\"192.0.2.9\"}]}]},"
    "{\"Id\":\"ZPRIV\",\"Name\":\"internal.\",\"Private\":true,\"VPCs\":[{\"VPCRegion\":"
    "\"us-east-1\",\"VPCId\":\"vpc-1\"}],\"Records\":["
    "{\"Name\":\"internal.\",\"Type\":\"SOA\",\"TTL\":900,\"ResourceRecords\":[{\"Value\":"
    "\"ns-2048.awsdns-64.net. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400\"}]},"
    "{\"Name\":\"s.internal.\",\"Type\":\"SRV\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":"
    "\"1 1 80 a.example.com.\"}]}]}]";

static route53_snap *snap;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!snap) {
        json_error_t je;
        snap = route53_snap_from_json(json_loads(zones, 0, &je));
        if (!snap) abort();
    }
    static const char *const views[] = {NULL, "us-east-1/vpc-1"};
    static const size_t limits[] = {4096, 65535};
    for (size_t v = 0; v < 2; v++) {
        for (size_t l = 0; l < 2; l++) {
            unsigned char *out = NULL;
            size_t n = 0;
            route53_dns_answer(snap, views[v], data, size, limits[l], &out, &n);
            if (out && (n > limits[l] || n < 12 || memcmp(out, data, 2))) abort();
            free(out);
        }
    }
    return 0;
}
