package io.parhelia.engine.testing;

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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real local runtime (it answers to "local" and starts real agents) with faults a test can
 * switch on: a start that waits for a gate or fails, stops that fail, an inspect that fails.
 */
public final class ControllableRuntime implements AgentRuntime {

    private final LocalRuntime real;
    /** Every agent really started through this runtime, for cleanup and for checks. */
    public final List<RuntimeHandle> started = new CopyOnWriteArrayList<>();
    /** Counted down when start is entered; a gated start then waits for {@link #startGate}. */
    public final CountDownLatch startEntered = new CountDownLatch(1);
    public volatile CountDownLatch startGate;
    public volatile Exception startFailure;
    public final AtomicInteger failingStops = new AtomicInteger();
    public final AtomicInteger stopCalls = new AtomicInteger();
    public volatile RuntimeFailure inspectFailure;
    public volatile Availability availability;
    /** While set, listManaged fails with it. */
    public volatile RuntimeFailure listingFailure;
    /** The ids of every agent a stop was asked for. */
    public final List<String> stopped = new CopyOnWriteArrayList<>();
    /** The name it answers to; another name stands for a runtime that some other server has. */
    public volatile String name;

    public ControllableRuntime(LocalRuntime real) {
        this.real = real;
        this.name = real.name();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Availability availability() {
        return availability != null ? availability : real.availability();
    }

    @Override
    public RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure {
        startEntered.countDown();
        CountDownLatch gate = startGate;
        if (gate != null) {
            try {
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new RuntimeFailure("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuntimeFailure("interrupted", e);
            }
        }
        Exception failure = startFailure;
        if (failure instanceof RuntimeFailure runtimeFailure) {
            throw runtimeFailure;
        }
        if (failure instanceof RuntimeException runtimeException) {
            throw runtimeException;
        }
        RuntimeHandle handle = real.start(spec);
        started.add(handle);
        return handle;
    }

    @Override
    public RuntimeState inspect(RuntimeHandle handle) throws RuntimeFailure {
        RuntimeFailure failure = inspectFailure;
        if (failure != null) {
            throw failure;
        }
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
        stopCalls.incrementAndGet();
        stopped.add(handle.id());
        if (failingStops.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new RuntimeFailure("kill refused: operation not permitted (test fault)");
        }
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
