package io.parhelia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostPolicyTest {

    @Test
    void loopbackNamesPassOnAnyPort() {
        HostPolicy policy = new HostPolicy("127.0.0.1", List.of(), List.of());
        assertThat(policy.hostAllowed("localhost:8080")).isTrue();
        assertThat(policy.hostAllowed("127.0.0.1")).isTrue();
        assertThat(policy.hostAllowed("[::1]:1")).isTrue();
        assertThat(policy.hostAllowed("10.1.2.3:8080")).isFalse();
        assertThat(policy.hostAllowed(null)).isFalse();
        assertThat(policy.hostAllowed("")).isFalse();
        assertThat(policy.hostAllowed("localhost:abc")).isFalse();
        assertThat(policy.hostAllowed("localhost@evil.com")).isFalse();
    }

    @Test
    void theBoundAddressPassesUnlessItIsAWildcard() {
        assertThat(new HostPolicy("10.1.2.3", List.of(), List.of()).hostAllowed("10.1.2.3:8443")).isTrue();
        assertThat(new HostPolicy("0.0.0.0", List.of(), List.of()).hostAllowed("0.0.0.0:8443")).isFalse();
        assertThat(new HostPolicy("::1", List.of(), List.of()).hostAllowed("[::1]:8443")).isTrue();
    }

    @Test
    void allowedHostsWithAndWithoutPort() {
        HostPolicy policy = new HostPolicy("0.0.0.0", List.of("mcp.example.com", "internal:8443"), List.of());
        assertThat(policy.hostAllowed("MCP.example.com:443")).isTrue();
        assertThat(policy.hostAllowed("mcp.example.com")).isTrue();
        assertThat(policy.hostAllowed("internal:8443")).isTrue();
        assertThat(policy.hostAllowed("internal:8444")).isFalse();
        assertThat(policy.hostAllowed("internal")).isFalse();
        assertThat(policy.hostAllowed("evil.mcp.example.com")).isFalse();
    }

    @Test
    void aMalformedAllowedHostIsRefusedByName() {
        assertThatThrownBy(() -> new HostPolicy("127.0.0.1", List.of("https://x"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http.allowed_hosts").hasMessageContaining("https://x");
    }

    @Test
    void origins() {
        HostPolicy policy = new HostPolicy("127.0.0.1", List.of(), List.of("https://app.example.com/"));
        assertThat(policy.originAllowed(null)).isTrue();
        assertThat(policy.originAllowed("http://localhost:5173")).isTrue();
        assertThat(policy.originAllowed("https://127.0.0.1")).isTrue();
        assertThat(policy.originAllowed("http://[::1]:3000")).isTrue();
        assertThat(policy.originAllowed("https://app.example.com")).isTrue();
        assertThat(policy.originAllowed("https://APP.example.com/")).isTrue();
        assertThat(policy.originAllowed("http://app.example.com")).isFalse();
        assertThat(policy.originAllowed("null")).isFalse();
        assertThat(policy.originAllowed("file://localhost")).isFalse();
        assertThat(policy.originAllowed("http://localhost.evil.com")).isFalse();
        assertThat(policy.originAllowed("not a url")).isFalse();
    }
}
