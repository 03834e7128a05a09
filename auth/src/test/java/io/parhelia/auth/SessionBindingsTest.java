package io.parhelia.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionBindingsTest {

    private final AtomicLong now = new AtomicLong();
    private final SessionBindings bindings = new SessionBindings(Duration.ofMinutes(10), now::get);

    @Test
    void onlyTheCreatorEntersAndAnUnknownIdIsRefused() {
        bindings.bind("s1", "alice");
        assertThat(bindings.enter("s1", "alice")).isTrue();
        assertThat(bindings.enter("s1", "bob")).isFalse();
        assertThat(bindings.enter("s2", "alice")).isFalse();
    }

    @Test
    void unusedBindingsAreForgottenButOnesWithAnOpenRequestStay() {
        bindings.bind("idle", "alice");
        bindings.bind("streaming", "alice");
        bindings.enter("streaming", "alice");
        now.addAndGet(Duration.ofMinutes(11).toNanos());

        bindings.bind("new", "bob");

        assertThat(bindings.size()).isEqualTo(2);
        assertThat(bindings.enter("idle", "alice")).isFalse();
        assertThat(bindings.enter("streaming", "alice")).isTrue();
    }

    @Test
    void aDeletedSessionIsForgotten() {
        bindings.bind("s1", "alice");
        bindings.forget("s1");
        assertThat(bindings.size()).isZero();
    }
}
