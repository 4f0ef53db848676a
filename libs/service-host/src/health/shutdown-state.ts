import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/** Flips when the app starts shutting down, so readiness fails while it drains. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  shuttingDown = false;

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }
}
