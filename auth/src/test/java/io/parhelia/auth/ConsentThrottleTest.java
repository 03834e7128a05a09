package io.parhelia.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.parhelia.engine.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsentThrottleTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final ConsentThrottle throttle = new ConsentThrottle(clock);

    private void fail(String address, int times) {
        for (int i = 0; i < times; i++) {
            throttle.failed(address);
        }
    }

    @Test
    void anAddressIsLockedOutAfterTenWrongProofsInARowForAMinuteThenTwoThenUpToAnHour() {
        fail("10.0.0.1", ConsentThrottle.ADDRESS_LIMIT - 1);
        assertThat(throttle.lockedUntil("10.0.0.1")).isNull();

        throttle.failed("10.0.0.1");
        assertThat(throttle.lockedUntil("10.0.0.1")).isEqualTo(clock.instant().plus(ConsentThrottle.FIRST_LOCKOUT));
        assertThat(throttle.lockedUntil("10.0.0.2")).as("another address").isNull();

        clock.advance(ConsentThrottle.FIRST_LOCKOUT);
        assertThat(throttle.lockedUntil("10.0.0.1")).isNull();
        fail("10.0.0.1", ConsentThrottle.ADDRESS_LIMIT);
        assertThat(throttle.lockedUntil("10.0.0.1")).isEqualTo(clock.instant().plus(ConsentThrottle.FIRST_LOCKOUT.multipliedBy(2)));

        for (int lockout = 3; lockout <= 10; lockout++) {
            clock.advance(ConsentThrottle.LONGEST_LOCKOUT);
            fail("10.0.0.1", ConsentThrottle.ADDRESS_LIMIT);
        }
        assertThat(throttle.lockedUntil("10.0.0.1")).isEqualTo(clock.instant().plus(ConsentThrottle.LONGEST_LOCKOUT));
    }

    @Test
    void aRightProofClearsItsAddressAndADayWithoutFailuresForgetsTheLockouts() {
        fail("10.0.0.1", ConsentThrottle.ADDRESS_LIMIT - 1);
        throttle.succeeded("10.0.0.1");
        fail("10.0.0.1", ConsentThrottle.ADDRESS_LIMIT - 1);
        assertThat(throttle.lockedUntil("10.0.0.1")).isNull();

        throttle.failed("10.0.0.1");
        clock.advance(Duration.ofDays(1).plusMinutes(1));
        throttle.failed("10.0.0.3");
        fail("10.0.0.1", ConsentThrottle.ADDRESS_LIMIT);
        assertThat(throttle.lockedUntil("10.0.0.1")).as("a first lockout again")
                .isEqualTo(clock.instant().plus(ConsentThrottle.FIRST_LOCKOUT));
    }

    @Test
    void wrongProofsFromManyAddressesLockEveryoneOut() {
        int addresses = ConsentThrottle.GLOBAL_LIMIT / (ConsentThrottle.ADDRESS_LIMIT - 1) + 1;
        for (int i = 0; i < addresses; i++) {
            fail("10.0.1." + i, ConsentThrottle.ADDRESS_LIMIT - 1);
        }
        assertThat(throttle.lockedUntil("10.0.2.1")).as("an address that never failed")
                .isEqualTo(clock.instant().plus(ConsentThrottle.FIRST_LOCKOUT));
    }
}
