package dev.rredcot.model.backend.endpoint;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Which completions-server URLs may be used: {@code https} anywhere, plain {@code http} only to a
 * loopback host (127.0.0.0/8, ::1, a name that resolves only to those), because over plain http on
 * a network anyone on the path can read the traces and change the log-probabilities the credit is
 * computed from. {@link EndpointSettings#allowInsecureHttp()} (an explicit flag) lifts the rule,
 * e.g. for a server inside the same pod network.
 */
public final class ModelServerUrls {
  private ModelServerUrls() {}

  /**
   * Checks {@code url} against the rule.
   *
   * @throws IllegalArgumentException naming the URL, the reason and the flag that allows it
   */
  public static void requireAllowed(URI url, boolean allowInsecureHttp) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("https")) {
      return;
    }
    if (!scheme.equals("http")) {
      throw new IllegalArgumentException(
          "model server URL " + url + ": only http and https are supported");
    }
    if (allowInsecureHttp || isLoopback(url.getHost())) {
      return;
    }
    throw new IllegalArgumentException(
        "model server URL "
            + url
            + " is plain http to a host that is not loopback: use https, or allow it explicitly"
            + " (serve: --allow-insecure-model-url; pipeline and replay:"
            + " --endpoint-allow-insecure-http=true)");
  }

  /** Whether {@code host} is, or resolves only to, loopback addresses. */
  static boolean isLoopback(String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    String bare =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    try {
      InetAddress[] addresses = InetAddress.getAllByName(bare);
      for (InetAddress address : addresses) {
        if (!address.isLoopbackAddress()) {
          return false;
        }
      }
      return addresses.length > 0;
    } catch (UnknownHostException e) {
      // A host that does not resolve is not known to be loopback; connecting would fail anyway.
      return false;
    }
  }
}
