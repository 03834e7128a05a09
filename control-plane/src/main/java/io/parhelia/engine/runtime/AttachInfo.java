package io.parhelia.engine.runtime;

/**
 * How a person attaches to an agent.
 *
 * @param command    the exact command to run in a terminal, or null when there is none
 * @param attachable whether running the command now would attach
 * @param reason     why not, when not attachable
 */
public record AttachInfo(String command, boolean attachable, String reason) {
}
