export * from './repo-paths';
export * from './free-port';
export * from './process-utils';
export * from './kafka-broker';
export * from './postgres-server';
export * from './infrastructure';
export * from './app-process';
export * from './build-apps';
