package io.parhelia.engine.runtime;

import java.time.Duration;
import java.util.List;

/**
 * Where agents run. Every implementation is driven the same way by the engine and the reconciler,
 * so the tools behave identically on each runtime.
 */
public interface AgentRuntime {

    /** The name tasks use to ask for this runtime, e.g. {@code local}. */
    String name();

    /** Whether this runtime can start agents on this machine now, and why not when it cannot. */
    Availability availability();

    /**
     * Whether an agent's workspace is the directory {@link LaunchSpec#workspace()} on this machine.
     * When it is not (the agent works inside a Pod elsewhere), Parhelia cannot checkpoint or compare
     * it, and a task cannot be given an existing directory of this machine to work in.
     */
    default boolean workspaceIsLocal() {
        return true;
    }

    /**
     * Starts the agent and returns once its process exists. Preparing the workspace (a clone) may
     * still be under way inside the agent's launch; its failure shows up as the agent's exit.
     */
    RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure;

    /** What the agent is doing now. */
    RuntimeState inspect(RuntimeHandle handle) throws RuntimeFailure;

    /**
     * Every agent this runtime holds that is labelled as Parhelia's. Throws when the listing cannot
     * be had: a partial or empty answer on failure would make live agents look gone.
     */
    List<RuntimeHandle> listManaged() throws RuntimeFailure;

    /** Stops the agent and everything it started: a polite signal, then a forced one after grace. Idempotent. */
    void stop(RuntimeHandle handle, Duration grace) throws RuntimeFailure;

    /** Up to maxBytes of the agent's output from byte offset. */
    LogChunk readLog(RuntimeHandle handle, long offset, int maxBytes) throws RuntimeFailure;

    /** The command a person runs to attach to the agent, or why that is not possible. */
    AttachInfo attachInfo(RuntimeHandle handle);

    /**
     * Types text into the agent's terminal, as a person attached to it would, followed by Enter
     * when asked. Fails when the agent has no terminal or is gone.
     */
    void sendInput(RuntimeHandle handle, String text, boolean enter) throws RuntimeFailure;
}
