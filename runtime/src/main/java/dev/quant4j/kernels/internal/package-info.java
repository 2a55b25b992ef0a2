/**
 * Not API: the kernels' service wiring, public only because {@link java.util.ServiceLoader} instantiates it
 * ({@link dev.quant4j.kernels.internal.ActiveDequantizer}, the {@code tensor.Dequantizer} provider). Not exported
 * by the module; may change in any release. Programs reach the kernels through {@link dev.quant4j.kernels.Kernels}.
 */
package dev.quant4j.kernels.internal;
