package io.parhelia.http;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the Streamable HTTP server listens and what it accepts.
 *
 * @param host                the address to bind; {@code 127.0.0.1} unless the operator asks otherwise
 * @param port                the port; 0 picks a free one
 * @param allowedHosts        Host header values accepted besides loopback names and the bound address
 * @param allowedOrigins      Origin header values accepted besides loopback origins
 * @param maxRequestBytes     a larger POST body gets 413
 * @param sessionIdle         an MCP session unused this long is closed (its id then answers 404)
 * @param keepAlive           how often open SSE streams get a keep-alive; zero turns them off
 * @param shutdownGrace       how long calls in flight may take to finish when the server stops
 * @param tls                 the server's certificate, or null for plain HTTP
 * @param allowInsecureHttp   plain HTTP on a non-loopback address, for a TLS-terminating proxy in front
 */
public record HttpSettings(String host, int port, List<String> allowedHosts, List<String> allowedOrigins,
                           long maxRequestBytes, Duration sessionIdle, Duration keepAlive, Duration shutdownGrace,
                           Tls tls, boolean allowInsecureHttp) {

    public HttpSettings {
        Objects.requireNonNull(host, "host");
        allowedHosts = List.copyOf(allowedHosts);
        allowedOrigins = List.copyOf(allowedOrigins);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (maxRequestBytes < 1024 || maxRequestBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max_request_bytes must be between 1024 and " + Integer.MAX_VALUE + ", got " + maxRequestBytes);
        }
        if (sessionIdle.isNegative() || sessionIdle.isZero()) {
            throw new IllegalArgumentException("session_idle_seconds must be positive, got " + sessionIdle.toSeconds());
        }
        if (keepAlive.isNegative()) {
            throw new IllegalArgumentException("keep_alive_seconds must not be negative, got " + keepAlive.toSeconds());
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown_grace_seconds must not be negative, got " + shutdownGrace.toSeconds());
        }
    }

    /** Loopback on an ephemeral port with the configuration's defaults: what tests and embedders start from. */
    public static HttpSettings loopback() {
        return new HttpSettings("127.0.0.1", 0, List.of(), List.of(), 4 * 1024 * 1024,
                Duration.ofMinutes(30), Duration.ofSeconds(25), Duration.ofSeconds(10), null, false);
    }

    public HttpSettings withHost(String host) {
        return new HttpSettings(host, port, allowedHosts, allowedOrigins, maxRequestBytes, sessionIdle, keepAlive,
                shutdownGrace, tls, allowInsecureHttp);
    }

    public HttpSettings withPort(int port) {
        return new HttpSettings(host, port, allowedHosts, allowedOrigins, maxRequestBytes, sessionIdle, keepAlive,
                shutdownGrace, tls, allowInsecureHttp);
    }

    public HttpSettings withTls(Tls tls) {
        return new HttpSettings(host, port, allowedHosts, allowedOrigins, maxRequestBytes, sessionIdle, keepAlive,
                shutdownGrace, tls, allowInsecureHttp);
    }

    public HttpSettings withAllowInsecureHttp(boolean allow) {
        return new HttpSettings(host, port, allowedHosts, allowedOrigins, maxRequestBytes, sessionIdle, keepAlive,
                shutdownGrace, tls, allow);
    }

    public HttpSettings withAllowed(List<String> hosts, List<String> origins) {
        return new HttpSettings(host, port, hosts, origins, maxRequestBytes, sessionIdle, keepAlive,
                shutdownGrace, tls, allowInsecureHttp);
    }

    public HttpSettings withLimits(long maxRequestBytes, Duration sessionIdle, Duration keepAlive, Duration shutdownGrace) {
        return new HttpSettings(host, port, allowedHosts, allowedOrigins, maxRequestBytes, sessionIdle, keepAlive,
                shutdownGrace, tls, allowInsecureHttp);
    }

    /** The server's certificate and key: PEM files, or a PKCS12 keystore. */
    public sealed interface Tls {
        /** A PEM certificate chain and a PEM PKCS#8 private key. */
        record PemFiles(Path certificate, Path privateKey) implements Tls {
        }

        /** A PKCS12 keystore holding one key entry. */
        record KeyStoreFile(Path keyStore, char[] password) implements Tls {
        }
    }
}
