package io.parhelia.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@code Host} and {@code Origin} headers may reach the MCP endpoint. A web page on another
 * site can make a browser send requests to a server on localhost (DNS rebinding); those requests
 * carry that site's name as Host or Origin, so anything not known to be ours is refused.
 */
final class HostPolicy {

    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");
    private static final Set<String> WILDCARD_ADDRESSES = Set.of("0.0.0.0", "::", "[::]");

    private final List<HostPort> allowedHosts;
    private final List<String> allowedOrigins;

    /**
     * @param boundHost      the address the server listens on; accepted as a Host name unless it is a wildcard
     * @param allowedHosts   further Host values: a name alone allows any port, {@code name:port} that port only
     * @param allowedOrigins further Origin values, compared exactly (scheme, name and port)
     */
    HostPolicy(String boundHost, List<String> allowedHosts, List<String> allowedOrigins) {
        List<HostPort> hosts = new java.util.ArrayList<>();
        String bound = bracketed(boundHost.toLowerCase(Locale.ROOT));
        if (!WILDCARD_ADDRESSES.contains(bound)) {
            hosts.add(new HostPort(bound, null));
        }
        for (String entry : allowedHosts) {
            HostPort parsed = HostPort.parse(entry);
            if (parsed == null) {
                throw new IllegalArgumentException("http.allowed_hosts entry '" + entry + "' is not a host name or host:port");
            }
            hosts.add(parsed);
        }
        this.allowedHosts = List.copyOf(hosts);
        this.allowedOrigins = allowedOrigins.stream().map(HostPolicy::normalizedOrigin).toList();
    }

    boolean hostAllowed(String hostHeader) {
        HostPort host = hostHeader == null ? null : HostPort.parse(hostHeader);
        if (host == null) {
            return false;
        }
        if (LOOPBACK_NAMES.contains(host.name())) {
            return true;
        }
        return allowedHosts.stream().anyMatch(allowed -> allowed.name().equals(host.name())
                && (allowed.port() == null || allowed.port().equals(host.port())));
    }

    /** Requests without an Origin come from programs, not pages, and are accepted; {@code null} is not. */
    boolean originAllowed(String origin) {
        if (origin == null) {
            return true;
        }
        String normalized = normalizedOrigin(origin);
        if (allowedOrigins.contains(normalized)) {
            return true;
        }
        try {
            URI uri = new URI(normalized);
            String scheme = uri.getScheme();
            String name = uri.getHost();
            return ("http".equals(scheme) || "https".equals(scheme)) && name != null
                    && LOOPBACK_NAMES.contains(bracketed(name)) && uri.getRawPath().isEmpty();
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static String normalizedOrigin(String origin) {
        String trimmed = origin.trim().toLowerCase(Locale.ROOT);
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }

    private static String bracketed(String name) {
        return name.contains(":") && !name.startsWith("[") ? "[" + name + "]" : name;
    }

    /** A Host value split into its lower-case name (IPv6 in brackets) and its port, if any. */
    record HostPort(String name, String port) {
        static HostPort parse(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.isEmpty()) {
                return null;
            }
            String name;
            String rest;
            if (v.startsWith("[")) {
                int close = v.indexOf(']');
                if (close < 0) {
                    return null;
                }
                name = v.substring(0, close + 1);
                rest = v.substring(close + 1);
            } else {
                int colon = v.indexOf(':');
                name = colon < 0 ? v : v.substring(0, colon);
                rest = colon < 0 ? "" : v.substring(colon);
            }
            if (name.isEmpty() || !name.matches("[a-z0-9.\\-_\\[\\]:]+")) {
                return null;
            }
            if (rest.isEmpty()) {
                return new HostPort(name, null);
            }
            String port = rest.substring(1);
            return rest.startsWith(":") && port.matches("\\d{1,5}") ? new HostPort(name, port) : null;
        }
    }
}
