export declare function webhookHeaders(args: { body: string; secret: string; id?: string; timestamp?: number }): {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};
