package io.parhelia.engine.reconcile;

import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.LocalRuntime;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The real local runtime, except that its listing fails while a test says so; it records every stop asked of it. */
final class ListingFaultRuntime implements AgentRuntime {

    private final LocalRuntime real;
    volatile RuntimeFailure listingFailure;
    final List<String> stopped = new CopyOnWriteArrayList<>();

    ListingFaultRuntime(LocalRuntime real) {
        this.real = real;
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public Availability availability() {
        return real.availability();
    }

    @Override
    public RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure {
        return real.start(spec);
    }

    @Override
    public RuntimeState inspect(RuntimeHandle handle) throws RuntimeFailure {
        return real.inspect(handle);
    }

    @Override
    public List<RuntimeHandle> listManaged() throws RuntimeFailure {
        RuntimeFailure failure = listingFailure;
        if (failure != null) {
            throw failure;
        }
        return real.listManaged();
    }

    @Override
    public void stop(RuntimeHandle handle, Duration grace) throws RuntimeFailure {
        stopped.add(handle.id());
        real.stop(handle, grace);
    }

    @Override
    public LogChunk readLog(RuntimeHandle handle, long offset, int maxBytes) throws RuntimeFailure {
        return real.readLog(handle, offset, maxBytes);
    }

    @Override
    public AttachInfo attachInfo(RuntimeHandle handle) {
        return real.attachInfo(handle);
    }

    @Override
    public void sendInput(RuntimeHandle handle, String text, boolean enter) throws RuntimeFailure {
        real.sendInput(handle, text, enter);
    }
}
