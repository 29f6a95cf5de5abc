/* A library that does its own networking in C, loaded into PHP at run time
 * (by FFI here): a connect and a DNS query to the resolver, each as a
 * library would make them. Built by the test that uses it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* connect() to ip:port over TCP; 0, or the errno. */
int probe_connect(const char *ip, int port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc;
    if (fd < 0) return errno;
    inet_pton(AF_INET, ip, &sa.sin_addr);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* One DNS query (A, public.sockguard.test) sent with sendto() to ip:53; the
 * number of answer bytes, or -errno. */
int probe_dns(const char *ip) {
    static const unsigned char query[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        6, 'p', 'u', 'b', 'l', 'i', 'c', 9, 's', 'o', 'c', 'k', 'g', 'u', 'a', 'r', 'd',
        4, 't', 'e', 's', 't', 0, 0x00, 0x01, 0x00, 0x01};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
    struct timeval tv = {.tv_sec = 2};
    unsigned char answer[512];
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ssize_t n;
    if (fd < 0) return -errno;
    inet_pton(AF_INET, ip, &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (sendto(fd, query, sizeof query, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        n = -errno;
    } else {
        n = recv(fd, answer, sizeof answer, 0);
        if (n < 0) n = -errno;
    }
    close(fd);
    return (int)n;
}
