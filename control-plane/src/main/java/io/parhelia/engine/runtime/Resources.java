package io.parhelia.engine.runtime;

/**
 * What a task asks for.
 *
 * @param cpu      cores
 * @param memoryGb gigabytes of memory
 * @param gpu      GPU type (T4, A10G, A100, H100), or null for none
 */
public record Resources(double cpu, double memoryGb, String gpu) {
}
