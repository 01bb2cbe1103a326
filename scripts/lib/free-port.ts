/**
 * A loopback port nobody listens on right now, for a server a script or a
 * test starts itself (nginx, Prometheus, versitygw): the kernel picks it.
 */
import * as net from "net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
