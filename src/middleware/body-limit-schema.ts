import { byteSize } from '../config/fields.js';

export const bodyLimitSchema = byteSize.describe("Largest request body accepted, e.g. '1mb' (413 above it)");
