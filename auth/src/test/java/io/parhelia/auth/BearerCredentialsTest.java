package io.parhelia.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BearerCredentialsTest {

    @Test
    void theSchemeIsCaseInsensitiveAndSpacesBeforeTheTokenAreAllowed() {
        assertThat(BearerCredentials.parse(List.of("Bearer abc.DEF_ghi-~+/=="))).isEqualTo(new BearerCredentials.Present("abc.DEF_ghi-~+/=="));
        assertThat(BearerCredentials.parse(List.of("bearer abc"))).isEqualTo(new BearerCredentials.Present("abc"));
        assertThat(BearerCredentials.parse(List.of("BEARER    abc"))).isEqualTo(new BearerCredentials.Present("abc"));
    }

    @Test
    void anythingButOneWellFormedBearerTokenIsAbsentOrMalformed() {
        assertThat(BearerCredentials.parse(List.of())).isInstanceOf(BearerCredentials.Absent.class);
        assertThat(BearerCredentials.parse(List.of("Basic dXNlcjpwYXNz"))).isInstanceOf(BearerCredentials.Absent.class);
        assertThat(BearerCredentials.parse(List.of("Bearer"))).isInstanceOf(BearerCredentials.Malformed.class);
        assertThat(BearerCredentials.parse(List.of("Bearer abc def"))).isInstanceOf(BearerCredentials.Malformed.class);
        assertThat(BearerCredentials.parse(List.of("Bearer \"abc\""))).isInstanceOf(BearerCredentials.Malformed.class);
        assertThat(BearerCredentials.parse(List.of("Bearer a,b"))).isInstanceOf(BearerCredentials.Malformed.class);
        assertThat(BearerCredentials.parse(List.of("Bearer a", "Bearer b"))).isInstanceOf(BearerCredentials.Malformed.class);
        assertThat(BearerCredentials.parse(List.of("Bearer " + "a".repeat(4097)))).isInstanceOf(BearerCredentials.Malformed.class);
    }
}
