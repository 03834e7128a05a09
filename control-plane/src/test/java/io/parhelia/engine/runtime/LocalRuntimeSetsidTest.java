package io.parhelia.engine.runtime;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalRuntimeSetsidTest extends LocalRuntimeContract {

    @Override
    LocalRuntime.Options options() {
        return LocalRuntime.Options.defaults().withMode(LocalRuntime.Mode.SETSID);
    }

    @Test
    void autoModeFallsBackToSetsidWithoutTmux() {
        LocalRuntime withoutTmux = new LocalRuntime(temp, LocalRuntime.Options.defaults()
                .withTmuxBinary("/nonexistent/tmux"));

        assertThat(withoutTmux.mode()).isEqualTo(LocalRuntime.Mode.SETSID);
    }

    @Test
    void isUsableButSaysAttachIsUnavailable() {
        Availability availability = runtime().availability();

        assertThat(availability.usable()).isTrue();
        assertThat(availability.detail()).contains("attach", "tmux");
    }

    @Test
    void attachInfoExplainsHowToGetTmux() throws Exception {
        RuntimeHandle handle = start("noattach", FakeAgent.command("sleep=300"));

        AttachInfo attach = runtime().attachInfo(handle);

        assertThat(attach.command()).isNull();
        assertThat(attach.checkCommand()).isEmpty();
        assertThat(attach.attachable()).isFalse();
        assertThat(attach.reason()).contains("apt-get install tmux", "parhelia_task_logs");
        assertThatThrownBy(() -> runtime().sendInput(handle, "hello", true))
                .isInstanceOf(RuntimeFailure.class).hasMessageContaining("without a terminal");
        runtime().stop(handle, Duration.ofSeconds(5));
    }
}
